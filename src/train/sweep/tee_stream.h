// An output stream that writes to two others (a run's train.log and the console).
#pragma once

#include <ostream>
#include <streambuf>

namespace gem::train {

class TeeBuffer : public std::streambuf {
 public:
  TeeBuffer(std::streambuf* a, std::streambuf* b) : a_(a), b_(b) {}

 protected:
  int overflow(int c) override {
    if (c == traits_type::eof()) return traits_type::not_eof(c);
    const bool ok = a_->sputc(static_cast<char>(c)) != traits_type::eof() &&
                    b_->sputc(static_cast<char>(c)) != traits_type::eof();
    return ok ? c : traits_type::eof();
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const std::streamsize wrote = a_->sputn(s, n);
    return std::min(wrote, b_->sputn(s, n));
  }
  int sync() override { return (a_->pubsync() == 0 && b_->pubsync() == 0) ? 0 : -1; }

 private:
  std::streambuf *a_, *b_;
};

class TeeStream : public std::ostream {
 public:
  TeeStream(std::ostream& a, std::ostream& b) : std::ostream(nullptr), buffer_(a.rdbuf(), b.rdbuf()) { rdbuf(&buffer_); }

 private:
  TeeBuffer buffer_;
};

}  // namespace gem::train
