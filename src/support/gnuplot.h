// Drawing a PNG with gnuplot: the script's text, how input text enters it, and running it.
//
// Text from inputs (a --title, a run's summary.json) is data, never code. gnuplot runs
// `command` in backquotes anywhere in a line outside single quotes (inside double-quoted
// strings too), expands @macros outside strings and ends a command at a newline, so pasted text
// could run a command. Single quotes are no way out: gnuplot 5.4 misreads two doubled quotes in
// a row. So gp_string writes a double-quoted string in which every character that could mean
// something is escaped: backslash and double quote with a backslash, the backquote as the octal
// escape \140 (gnuplot turns it into a backquote only after it has looked for commands), and
// control characters (newline, CR, tab, ...) become spaces, so the string stays on its line.
// Every piece of text reaches a script through gp_string.
#pragma once

#include <filesystem>
#include <functional>

#include "src/support/atomic_file.h"
#include <string>
#include <string_view>

namespace gem::support {

/// A gnuplot double-quoted string literal holding `text` literally (control characters as spaces).
std::string gp_string(std::string_view text);

/// True when `text` holds a control character: a path with one cannot reach gnuplot unchanged.
bool has_control_characters(std::string_view text);

/// The first lines of every script: a PNG terminal of `width` x `height` pixels writing to `png`
/// (pngcairo when gnuplot has it, antialiased; else libgd's png), text without enhanced-text
/// markup, and the Okabe-Ito colours (told apart with colour-blindness, without their
/// hard-to-see yellow) as line types 1-8, cycling.
std::string png_preamble(int width, int height, const std::filesystem::path& png);

/// The script, given the paths of the data file and of the PNG to write.
using ScriptFn = std::function<std::string(const std::filesystem::path& data, const std::filesystem::path& png)>;

/// Runs `gnuplot` (a name on PATH or a path) on script(data file holding `data`, png's temporary
/// file) and checks that it wrote a whole PNG; the caller commits `png` (so that several outputs
/// can be published together). Throws std::runtime_error: gnuplot missing (saying how to install
/// it), failing (with its messages), or writing no PNG or an incomplete one (gnuplot says nothing
/// when the disk fills up).
void render_png(const std::string& gnuplot, const std::string& data, const ScriptFn& script, AtomicFile& png);

}  // namespace gem::support
