// The module gem_sentencepiece: the only code that links SentencePiece (sentencepiece_api.h says
// why). Implements SentencePieceApi on top of SentencePieceTrainer and SentencePieceProcessor.
#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <string>
#include <unordered_map>

#include "src/train/text/sentencepiece_api.h"

namespace gem::train {
namespace {

class Model : public SentencePieceModel {
 public:
  int piece_size() const override { return sp_.GetPieceSize(); }
  int piece_to_id(const std::string& piece) const override { return sp_.PieceToId(piece); }
  std::string id_to_piece(int id) const override { return sp_.IdToPiece(id); }
  bool is_control(int id) const override { return sp_.IsControl(id); }
  bool is_byte(int id) const override { return sp_.IsByte(id); }
  std::string encode(std::string_view text, std::vector<int>* ids) const override {
    const auto status = sp_.Encode(text, ids);
    return status.ok() ? std::string() : status.ToString();
  }
  std::string decode(const std::vector<int>& ids, std::string* text) const override {
    const auto status = sp_.Decode(ids, text);
    return status.ok() ? std::string() : status.ToString();
  }
  sentencepiece::SentencePieceProcessor sp_;
};

// Feeds the sentences from memory (no temporary input file).
class Sentences : public sentencepiece::SentenceIterator {
 public:
  explicit Sentences(const std::vector<std::string>& s) : s_(s) {}
  bool done() const override { return i_ >= s_.size(); }
  void Next() override { ++i_; }
  const std::string& value() const override { return s_[i_]; }
  sentencepiece::util::Status status() const override { return {}; }

 private:
  const std::vector<std::string>& s_;
  size_t i_ = 0;
};

class Api : public SentencePieceApi {
 public:
  std::string train(const std::map<std::string, std::string>& flags, const std::vector<std::string>& sentences,
                    std::string* model_proto) const override {
    const std::unordered_map<std::string, std::string> kwargs(flags.begin(), flags.end());
    Sentences feed(sentences);
    const auto status = sentencepiece::SentencePieceTrainer::Train(kwargs, &feed, model_proto);
    return status.ok() ? std::string() : status.ToString();
  }
  std::unique_ptr<SentencePieceModel> load(const std::string& model_proto, std::string* error) const override {
    auto model = std::make_unique<Model>();
    const auto status = model->sp_.LoadFromSerializedProto(model_proto);
    if (status.ok()) return model;
    *error = status.ToString();
    return nullptr;
  }
};

}  // namespace
}  // namespace gem::train

extern "C" __attribute__((visibility("default"))) const gem::train::SentencePieceApi* gem_sentencepiece_api() {
  static const gem::train::Api api;
  return &api;
}
