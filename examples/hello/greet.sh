echo "hello from $(uname -m)"
cat /app/build-info
