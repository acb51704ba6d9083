#!/bin/sh
# Entry point of the product's images. Each file in /run/secrets (compose secrets, or a Kubernetes
# Secret mounted there) becomes an environment variable of the same name, because the programs read
# the broker password and provider API keys from the variables the configuration names
# (Transport:RabbitMq:PasswordVariable, a deployment's ApiKeyVariable). A variable already set wins.
# Then runs the given assembly with dotnet.
set -eu
if [ -d /run/secrets ]; then
  for file in /run/secrets/*; do
    [ -f "$file" ] || continue
    name=$(basename "$file")
    case "$name" in
      *[!A-Za-z0-9_]* | [0-9]*) continue ;;  # not a variable name
    esac
    if eval "[ -z \"\${$name+set}\" ]"; then
      export "$name=$(cat "$file")"
    fi
  done
fi
exec dotnet "$@"
