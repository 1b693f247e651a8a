#include "bench/onednn_peer.h"

#include <stdexcept>

#if GEM_BENCH_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.hpp>
#endif

namespace gem::bench {

const std::vector<std::string>& onednn_algorithms() {
  static const std::vector<std::string> names{"relu", "gelu_erf", "gelu_tanh", "swish"};
  return names;
}

#if GEM_BENCH_HAVE_ONEDNN

bool have_onednn() { return true; }

namespace {

dnnl::algorithm algorithm_of(const std::string& name) {
  if (name == "relu") return dnnl::algorithm::eltwise_relu;
  if (name == "gelu_erf") return dnnl::algorithm::eltwise_gelu_erf;
  if (name == "gelu_tanh") return dnnl::algorithm::eltwise_gelu_tanh;
  if (name == "swish") return dnnl::algorithm::eltwise_swish;
  throw std::invalid_argument("no oneDNN eltwise algorithm '" + name + "'");
}

}  // namespace

std::function<void()> onednn_eltwise(const std::string& algorithm, const std::string& dtype, bool backward, void* x,
                                     void* grad, void* y, std::size_t n) {
  using dnnl::memory;
  const memory::data_type dt = dtype == "bfloat16" ? memory::data_type::bf16 : memory::data_type::f32;
  if (dtype != "float32" && dtype != "bfloat16")
    throw std::invalid_argument("oneDNN peers run float32 and bfloat16, not " + dtype);
  try {
    auto engine = std::make_shared<dnnl::engine>(dnnl::engine::kind::cpu, 0);
    auto stream = std::make_shared<dnnl::stream>(*engine);
    const memory::desc md({static_cast<memory::dim>(n)}, dt, memory::format_tag::a);
    const float alpha = algorithm == "swish" ? 1.0f : 0.0f;  // swish: x * sigmoid(alpha x)
    const dnnl::eltwise_forward::primitive_desc fwd(
        dnnl::eltwise_forward::desc(backward ? dnnl::prop_kind::forward_training : dnnl::prop_kind::forward_inference,
                                    algorithm_of(algorithm), md, alpha, 0.0f),
        *engine);
    auto src = std::make_shared<memory>(md, *engine, x);
    auto dst = std::make_shared<memory>(md, *engine, y);
    if (!backward) {
      auto prim = std::make_shared<dnnl::eltwise_forward>(fwd);
      return [=] {
        prim->execute(*stream, {{DNNL_ARG_SRC, *src}, {DNNL_ARG_DST, *dst}});
        stream->wait();
      };
    }
    const dnnl::eltwise_backward::primitive_desc bwd(
        dnnl::eltwise_backward::desc(algorithm_of(algorithm), md, md, alpha, 0.0f), *engine, fwd);
    auto diff_dst = std::make_shared<memory>(md, *engine, grad);
    auto prim = std::make_shared<dnnl::eltwise_backward>(bwd);
    return [=] {
      prim->execute(*stream, {{DNNL_ARG_SRC, *src}, {DNNL_ARG_DIFF_DST, *diff_dst}, {DNNL_ARG_DIFF_SRC, *dst}});
      stream->wait();
    };
  } catch (const dnnl::error& e) {
    const std::string what =
        "oneDNN " + algorithm + " " + dtype + (backward ? " backward" : " forward") + ": " + e.what();
    if (e.status == dnnl_unimplemented) throw OneDnnUnsupported(what + " (not implemented for this CPU)");
    throw std::runtime_error(what);
  }
}

#else

bool have_onednn() { return false; }

std::function<void()> onednn_eltwise(const std::string&, const std::string&, bool, void*, void*, void*, std::size_t) {
  throw std::runtime_error("this gem was built without oneDNN (install libdnnl-dev and rebuild)");
}

#endif

}  // namespace gem::bench
