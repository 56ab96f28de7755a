// parallel/token_dispatcher.h is an interface without an implementation yet (the expert-parallel
// issue writes one): compiling it here keeps it from rotting, and fixes what it must stay.
#include <type_traits>

#include "parallel/token_dispatcher.h"

namespace tetra::parallel {
namespace {

static_assert(std::is_abstract_v<TokenDispatcher>, "TokenDispatcher is an interface");
static_assert(std::has_virtual_destructor_v<TokenDispatcher>, "owned through pointers to the interface");
static_assert(std::is_same_v<decltype(&TokenDispatcher::exchange),
                             ReceivedTokens (TokenDispatcher::*)(const PermutedTokens&)>,
              "exchange() takes permute()'s result");
static_assert(std::is_same_v<decltype(&TokenDispatcher::unpermute),
                             torch::Tensor (TokenDispatcher::*)(const torch::Tensor&, const PermutedTokens&)>,
              "unpermute() undoes permute()");

}  // namespace
}  // namespace tetra::parallel
