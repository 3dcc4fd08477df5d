#!/usr/bin/env bash
# Prints the path of a working python<VERSION> (e.g. 3.10): on PATH, or installed through pyenv.
set -euo pipefail
want="$1"
for candidate in "python$want" "${PYENV_ROOT:-$HOME/.pyenv}"/versions/"$want".*/bin/python"$want" \
                 /usr/local/bin/python"$want" /usr/bin/python"$want"; do
  path=$(command -v "$candidate" 2>/dev/null || true)
  # pyenv's shim exists even when that version is not selected, and then fails: try it.
  if [ -n "$path" ] && "$path" -c 'import sys' >/dev/null 2>&1; then
    echo "$path"; exit 0
  fi
done
echo "python$want was not found. Install it (e.g. 'pyenv install $want' or your OS's python$want package) or set PYTHON${want/./} to its path." >&2
exit 1
