# Sourced by scripts/sanitize.sh and scripts/fuzz.sh: how the sanitized binaries report.
# Every finding aborts (the build also has -fno-sanitize-recover=all) with a symbolized stack;
# leaks are checked at exit, and only Mesa's own leaks are suppressed (tests/sanitizers/).
_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
symbolizer=$(command -v llvm-symbolizer-14 || command -v llvm-symbolizer || true)
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1${symbolizer:+:external_symbolizer_path=$symbolizer}"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1${symbolizer:+:external_symbolizer_path=$symbolizer}"
export LSAN_OPTIONS="suppressions=$_root/tests/sanitizers/lsan.supp:print_suppressions=0"
unset _root symbolizer
# Mesa's software driver stays loaded in the sanitized app (tests/e2e/harness.py preloads it):
# Mesa dlcloses it at exit, and LSan would report what its globals still hold as leaks from an
# "<unknown module>", which no suppression can name.
GENLAB_SANITIZE_PRELOAD=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)/dri/swrast_dri.so
export GENLAB_SANITIZE_PRELOAD
