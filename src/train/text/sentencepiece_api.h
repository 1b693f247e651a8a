// SentencePiece behind a plain C++ interface, loaded from its own module at run time.
//
// Why: Debian's libsentencepiece carries its own copy of protobuf-lite 3.14 and exports its
// symbols; LibTorch loads the system libprotobuf 3.21. Linked into one program, the two copies
// bind to each other's functions and the program crashes before main (or protobuf aborts on the
// version check). So only the module gem_sentencepiece (sentencepiece_module.cpp) links
// SentencePiece, and sentencepiece_api() opens it with RTLD_LOCAL | RTLD_DEEPBIND: its symbols
// stay out of the program's scope and resolve to its own protobuf. Calls cross the boundary
// through virtual functions only, with standard-library types (the same libstdc++ on both sides).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gem::train {

/// A loaded SentencePiece model. Methods returning std::string return "" on success, else
/// SentencePiece's error message.
class SentencePieceModel {
 public:
  virtual ~SentencePieceModel() = default;
  virtual int piece_size() const = 0;
  virtual int piece_to_id(const std::string& piece) const = 0;
  virtual std::string id_to_piece(int id) const = 0;
  virtual bool is_control(int id) const = 0;
  virtual bool is_byte(int id) const = 0;
  virtual std::string encode(std::string_view text, std::vector<int>* ids) const = 0;
  virtual std::string decode(const std::vector<int>& ids, std::string* text) const = 0;
};

class SentencePieceApi {
 public:
  virtual ~SentencePieceApi() = default;
  /// SentencePieceTrainer::Train with these flags (without "input") on these sentences; the
  /// serialized model goes to *model_proto. Returns "" or the error.
  virtual std::string train(const std::map<std::string, std::string>& flags, const std::vector<std::string>& sentences,
                            std::string* model_proto) const = 0;
  /// A model from its serialized form; null and *error set when it is not one.
  virtual std::unique_ptr<SentencePieceModel> load(const std::string& model_proto, std::string* error) const = 0;
};

/// The module's API, opened once per process. Throws std::runtime_error (what is missing and
/// what to do) when the module cannot be opened. The module is looked for at
/// $GEM_SENTENCEPIECE_MODULE, else where the build put it.
const SentencePieceApi& sentencepiece_api();

}  // namespace gem::train

/// The module's one exported symbol.
extern "C" const gem::train::SentencePieceApi* gem_sentencepiece_api();
