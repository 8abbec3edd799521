#!/usr/bin/env bash
# Tier 1: render every combination of the template's options, and check that
#  - each renders, leaves no Liquid behind and is formatted as rustfmt would (no compiling);
#  - every refusal listed in ci/refused happens, with its message;
#  - every option value is exercised by some combination of ci/combos.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

failures=0
fail() { warn "FAIL: $*"; failures=$((failures + 1)); }

# "option=value …" of the forbidden combinations, with their messages.
forbidden=() forbidden_message=()
while IFS= read -r line; do
    arguments=${line%%=>*} message=${line#*=> }
    if [[ $arguments != --* ]]; then
        forbidden+=("$(xargs <<<"$arguments")")
        forbidden_message+=("$message")
    fi
done < <(data_lines refused)

# The message a combination must be refused with, or nothing.
refusal_for() {
    local combo=" $1 " i option
    for i in "${!forbidden[@]}"; do
        local all=1
        for option in ${forbidden[$i]}; do
            [[ $combo == *" $option "* ]] || all=0
        done
        if [ $all = 1 ]; then
            echo "${forbidden_message[$i]}"
            return
        fi
    done
}

mapfile -t liquid < <(liquid_files)
combination_list=$(all_combinations) || die "cannot list the combinations of cargo-generate.toml"
options=$(template_options) || die "cannot read the options of cargo-generate.toml"
combinations=0
while IFS= read -r combo; do
    combinations=$((combinations + 1))
    destination=$WORK/render/$combinations
    expected=$(refusal_for "$combo")
    # shellcheck disable=SC2046 # one word per option
    if output=$(generate "$destination" --name "$APP_NAME" $(defines "$combo") 2>&1); then
        if [ -n "$expected" ]; then
            fail "[$combo] rendered, but should be refused with \"$expected\""
            continue
        fi
    else
        if [ -z "$expected" ]; then
            fail "[$combo] did not render:"$'\n'"$output"
        elif [[ $output != *"$expected"* ]]; then
            fail "[$combo] was refused, but without \"$expected\":"$'\n'"$output"
        else
            echo "refused as expected: $combo"
        fi
        continue
    fi
    app=$destination/$APP_NAME
    for file in "${liquid[@]}"; do
        if [ -f "$app/$file" ] && grep -nE '\{\{|\{%|%\}' "$app/$file"; then
            fail "[$combo] leftover Liquid in $file"
        fi
    done
    if ! diff=$(cd "$app" && cargo fmt --check 2>&1); then
        fail "[$combo] is not formatted as rustfmt would:"$'\n'"$diff"
    fi
    echo "rendered: $combo"
done <<<"$combination_list"

while IFS= read -r line; do
    arguments=$(xargs <<<"${line%%=>*}") message=${line#*=> }
    [[ $arguments == --* ]] || continue
    # shellcheck disable=SC2086 # the arguments are words
    if output=$(generate "$WORK/render/refused" $arguments 2>&1); then
        fail "'$arguments' rendered, but should be refused with \"$message\""
    elif [[ $output != *"$message"* ]]; then
        fail "'$arguments' was refused, but without \"$message\":"$'\n'"$output"
    else
        echo "refused as expected: $arguments"
    fi
done < <(data_lines refused)

# Each value of each option is built and tested by some tier-2 combination: one that sets it, or
# one that leaves the option alone when the value is its default.
covered() {
    local option=$1 value=$2 default=$3 name options
    while read -r name options; do
        [[ " $options " == *" $option=$value "* ]] && return 0
        [[ " $options " != *" $option="* && $value == "$default" ]] && return 0
    done < <(data_lines combos)
    return 1
}
while read -r option values; do
    default=$(awk -v name="$option" '$1 == name' "$ROOT/cargo-generate.toml" |
        sed -n 's/.*default = "\{0,1\}\([^",} ]*\).*/\1/p')
    for value in $values; do
        covered "$option" "$value" "$default" || fail "no combination of ci/combos builds $option=$value"
    done
done <<<"$options"

rm -rf "$WORK/render"
if [ $failures -gt 0 ]; then
    die "$failures rendering check(s) failed"
fi
say "all $combinations combinations rendered or were refused as expected"
