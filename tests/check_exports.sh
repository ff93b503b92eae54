#!/bin/bash
# Every symbol the shared library exports is declared in baton.h, and every
# function baton.h declares is exported.
set -eu
lib=$1 header=$2
exported=$(nm -D --defined-only "$lib" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}' | sort)
declared=$(grep -o 'baton_[a-z0-9_]*(' "$header" | tr -d '(' | sort -u)
if [ "$exported" != "$declared" ]; then
    echo "exported and declared symbols differ:"
    diff <(echo "$exported") <(echo "$declared") || true
    exit 1
fi
echo "$(echo "$exported" | wc -l) symbols exported, all declared"
