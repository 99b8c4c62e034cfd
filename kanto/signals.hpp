// Stop signals as Kanto-CM accepts them: a decimal number or a Linux name with the SIG prefix.
#pragma once

#include <string_view>

namespace kanto {

// The signal number, or 0 when the text names no signal (Kanto then fails "invalid signal = %s").
int parse_signal(std::string_view text);

}  // namespace kanto
