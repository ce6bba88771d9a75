# Project code builds with -Wall -Wextra -Werror; third-party headers are
# included as system headers and stay out of it.
add_library(hypertide_options INTERFACE)
# -Wno-restrict: g++ 12 reports std::string concatenation at -O3 as an
# overlapping memcpy (GCC bug 105329), a false positive.
target_compile_options(hypertide_options INTERFACE
  -Wall -Wextra -Werror -Wno-restrict)

# The asan preset sets HYPERTIDE_SANITIZE=ON.
option(HYPERTIDE_SANITIZE "Build with AddressSanitizer and UBSan" OFF)
if(HYPERTIDE_SANITIZE)
  target_compile_options(hypertide_options INTERFACE
    -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(hypertide_options INTERFACE -fsanitize=address,undefined)
endif()
