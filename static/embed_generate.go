package static

//go:generate sh -c "cd ../web && npm ci --no-audit --no-fund && node build.mjs"
