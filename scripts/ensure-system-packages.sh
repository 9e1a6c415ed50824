#!/usr/bin/env bash
# Installs the Debian packages some tests need, when missing: Chromium and a Chinese font
# (the notice and dashboard screenshots) and Redis (the Celery deployment test). As root,
# or through sudo; otherwise says what to install. Never fatal: the tests that need a
# missing package fail (they never skip) with their own message.
set -u

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fc-list :lang=zh 2>/dev/null | grep -q . || missing+=(fonts-noto-cjk)
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi
if [ "$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system packages needed by the tests and not installable here (not root, no sudo or no apt-get):" \
         "install them, e.g. apt-get install -y ${missing[*]}" >&2
    exit 0
fi
echo "installing ${missing[*]} for the tests"
{ $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } \
    || echo "installing ${missing[*]} failed; the tests that need them will fail" >&2
exit 0
