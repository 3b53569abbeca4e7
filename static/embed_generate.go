package static

//go:generate go run ../internal/gencodes -o ../web/src/error-codes.js
//go:generate sh -c "cd ../web && npm ci --no-audit --no-fund && node build.mjs"
