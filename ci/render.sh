#!/usr/bin/env bash
# Tier 1: render every combination of the template's options, and check that
#  - each renders, leaves no Liquid behind and is formatted as rustfmt would (no compiling);
#  - every refusal listed in ci/refused happens, with its message;
#  - every pair of option values that can go together is built by some combination of ci/combos.
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

# "a=x b=y" for each pair of the words of a combination, in the options' order.
pairs_of() {
    local words i j
    read -ra words <<<"$1"
    for ((i = 0; i < ${#words[@]}; i++)); do
        for ((j = i + 1; j < ${#words[@]}; j++)); do
            echo "${words[i]} ${words[j]}"
        done
    done
}

mapfile -t liquid < <(liquid_files)
# Every pair of option values found in a combination that renders (see the end).
declare -A valid_pairs
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
    # tenshu.toml records every answer (`./tenshu update` renders the app again from it).
    for setting in $combo; do
        value=${setting#*=}
        [[ $value == true || $value == false ]] || value="\"$value\""
        grep -qx "${setting%%=*} = $value" "$app/tenshu.toml" ||
            fail "[$combo] tenshu.toml does not record ${setting%%=*} = $value"
    done
    while read -r pair; do valid_pairs[$pair]=1; done < <(pairs_of "$combo")
    echo "rendered: $combo"
done <<<"$combination_list"

# Valid names that are easy to get wrong, with every option at its default: `app` (the name the
# tests give the crate), one letter, an underscore, names of the app's own modules.
for name in app x my_app page views routes; do
    destination=$WORK/render/name-$name
    if ! output=$(generate "$destination" --name "$name" 2>&1); then
        fail "--name $name did not render:"$'\n'"$output"
        continue
    fi
    for file in "${liquid[@]}"; do
        if [ -f "$destination/$name/$file" ] && grep -nE '\{\{|\{%|%\}' "$destination/$name/$file"; then
            fail "[--name $name] leftover Liquid in $file"
        fi
    done
    if ! diff=$(cd "$destination/$name" && cargo fmt --check 2>&1); then
        fail "[--name $name] is not formatted as rustfmt would:"$'\n'"$diff"
    fi
    echo "rendered: --name $name"
done

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

# Every pair of option values that some valid combination holds is built and tested together by a
# tier-2 combination of ci/combos (an option a line leaves out has its default).
declare -A defaults
while read -r option _; do
    defaults[$option]=$(awk -v name="$option" '$1 == name' "$ROOT/cargo-generate.toml" |
        sed -n 's/.*default = "\{0,1\}\([^",} ]*\).*/\1/p')
done <<<"$options"
declare -A tested
while read -r name settings; do
    combo=""
    while read -r option _; do
        value=${defaults[$option]}
        for setting in $settings; do
            [[ $setting == "$option="* ]] && value=${setting#*=}
        done
        combo+="${combo:+ }$option=$value"
    done <<<"$options"
    [ -n "$(refusal_for "$combo")" ] && fail "ci/combos: $name is a refused combination"
    while read -r pair; do tested[$pair]=1; done < <(pairs_of "$combo")
done < <(data_lines combos)
missing=0
while read -r pair; do
    if [ -z "${tested[$pair]:-}" ]; then
        fail "no combination of ci/combos builds $pair together"
        missing=$((missing + 1))
    fi
done < <(printf '%s\n' "${!valid_pairs[@]}" | sort)
[ $missing -gt 0 ] || echo "every one of the ${#valid_pairs[@]} valid pairs of option values is built by ci/combos"

rm -rf "$WORK/render"
if [ $failures -gt 0 ]; then
    die "$failures rendering check(s) failed"
fi
say "all $combinations combinations rendered or were refused as expected"
