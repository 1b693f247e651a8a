// Model conversion in C++ (include/gem/torch/modules.h): module_for(spec) and
// replace_activations, the counterparts of gem.nn.module_for and gem.nn.replace_activations.
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "gem/spec.h"
#include "gem/torch/modules.h"

namespace gem::torch_ext {
namespace {

ActivationSpec parsed(const std::string& spec) {
  try {
    return ActivationSpec::parse(spec);
  } catch (const std::invalid_argument& e) {
    C10_THROW_ERROR(ValueError, c10::str("gem::replace_activations: ", e.what()));
  }
}

}  // namespace

torch::nn::AnyModule module_for(const std::string& spec) {
  const ActivationSpec s = parsed(spec);
  switch (s.kind) {
    case Kind::gem:
      return torch::nn::AnyModule(GEM(GEMOptions(s.gem.N)));
    case Kind::egem:
      return torch::nn::AnyModule(EGEM(EGEMOptions(s.gem.N, s.gem.eps)));
    case Kind::segem:
      return torch::nn::AnyModule(SEGEM(SEGEMOptions(s.gem.N, s.gem.eps)));
    default:
      return torch::nn::AnyModule(Activation(spec));
  }
}

bool is_relu(const torch::nn::Module& module) { return dynamic_cast<const torch::nn::ReLUImpl*>(&module) != nullptr; }

int64_t replace_activations(torch::nn::Module& model, const std::string& spec,
                            const std::function<bool(const torch::nn::Module&)>& matches) {
  parsed(spec);  // a bad spec fails before anything changes
  struct Target {
    torch::nn::SequentialImpl* sequential;
    std::size_t index;
    std::string name;
  };
  std::vector<Target> targets;
  std::vector<std::string> stuck;
  TORCH_CHECK_VALUE(!matches(model),
                    "gem::replace_activations: the model itself matches; wrap it in a "
                    "torch::nn::Sequential to replace it");
  for (const auto& item : model.named_modules("model")) {
    torch::nn::Module& parent = *item.value();
    auto* sequential = dynamic_cast<torch::nn::SequentialImpl*>(&parent);
    std::size_t index = 0;
    for (const auto& child : parent.named_children()) {
      if (matches(*child.value())) {
        if (sequential)
          targets.push_back({sequential, index, child.key()});
        else
          stuck.push_back(item.key() + "." + child.key());
      }
      ++index;
    }
  }
  if (!stuck.empty()) {
    std::string names;
    for (const auto& s : stuck) names += (names.empty() ? "" : ", ") + s;
    C10_THROW_ERROR(ValueError, c10::str("gem::replace_activations: ", names, " ", stuck.size() == 1 ? "is" : "are",
                                         " held by a module other than torch::nn::Sequential, which LibTorch calls "
                                         "directly: C++ cannot swap it from outside. Build it with "
                                         "gem::torch_ext::Activation(spec), or keep activations in a Sequential"));
  }
  for (const Target& t : targets) {
    torch::nn::AnyModule replacement = module_for(spec);
    t.sequential->replace_module(t.name, replacement.ptr());  // parameters(), named_modules(), to()
    t.sequential->begin()[static_cast<std::ptrdiff_t>(t.index)] = std::move(replacement);  // what forward calls
  }
  return static_cast<int64_t>(targets.size());
}

}  // namespace gem::torch_ext
