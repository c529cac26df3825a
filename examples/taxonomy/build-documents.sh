#!/bin/sh
# Turn documents/<name>/ into git repositories under .documents/<name>, the way a contributor's
# document repository looks. Author, committer and dates are fixed, so every run gives the same
# commit ids, the ones the qna.yaml files pin. No network.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
GIT_AUTHOR_NAME="Example Author" GIT_AUTHOR_EMAIL="author@example.org"
GIT_AUTHOR_DATE="2026-01-01T00:00:00+0000"
GIT_COMMITTER_NAME="$GIT_AUTHOR_NAME" GIT_COMMITTER_EMAIL="$GIT_AUTHOR_EMAIL"
GIT_COMMITTER_DATE="$GIT_AUTHOR_DATE" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
export GIT_AUTHOR_NAME GIT_AUTHOR_EMAIL GIT_AUTHOR_DATE GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL
export GIT_COMMITTER_DATE GIT_CONFIG_NOSYSTEM GIT_CONFIG_GLOBAL
for source in "$here"/documents/*/; do
  name=$(basename "$source")
  dest="$here/.documents/$name"
  rm -rf "$dest"
  mkdir -p "$dest"
  cp -R "$source". "$dest/"
  find "$dest" -type f -exec chmod 644 {} +
  git -C "$dest" init --quiet
  git -C "$dest" symbolic-ref HEAD refs/heads/main
  git -C "$dest" add --all
  git -C "$dest" -c commit.gpgsign=false commit --quiet -m "Add documents"
  echo "$name $(git -C "$dest" rev-parse HEAD)"
done
