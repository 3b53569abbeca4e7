package verify

import (
	"context"
	"fmt"
	"io"
	"strings"
)

const usage = "usage: pacte verify FILE [MANIFEST] [--key URL_OR_FILE]\n" +
	"  FILE      a Pacte document: pacte.pdf, pacte.csv, pacte.json or pacte.xlsx\n" +
	"  MANIFEST  the CSV's manifest (/pacte.csv.manifest), if it is not FILE.manifest\n" +
	"  --key     the public key: its address, or a file holding its JSON or base64;\n" +
	"            by default it is fetched from the issuer named in the manifest\n" +
	"exit status: 0 valid, 1 a measure, the pages or the signature do not match, 2 unreadable"

// Command runs `pacte verify` with args (after "verify") and returns its
// exit code: 0 when every measure matches and the signature holds, 1 when
// something does not match, 2 when the file, manifest or key cannot be read.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var files []string
	var opts Options
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case a == "-h" || a == "-help" || a == "--help":
			fmt.Fprintln(stdout, usage)
			return 0
		case a == "--key" || a == "-key":
			if i+1 == len(args) {
				fmt.Fprintln(stderr, "pacte verify: --key needs a value\n"+usage)
				return 2
			}
			i++
			opts.Key = args[i]
		case strings.HasPrefix(a, "--key=") || strings.HasPrefix(a, "-key="):
			_, opts.Key, _ = strings.Cut(a, "=")
		case a == "--":
			files = append(files, args[i+1:]...)
			i = len(args)
		case strings.HasPrefix(a, "-"):
			fmt.Fprintf(stderr, "pacte verify: unknown option %s\n%s\n", a, usage)
			return 2
		default:
			files = append(files, a)
		}
	}
	if len(files) == 0 || len(files) > 2 || files[0] == "" {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	if len(files) == 2 {
		opts.Manifest = files[1]
	}
	r, err := File(ctx, files[0], opts)
	if err != nil { // a *ReadError: nothing could be checked
		fmt.Fprintf(stderr, "%s: %v\n", files[0], err)
		return 2
	}
	if r.OK() {
		fmt.Fprintf(stdout, "%s: %s, signature by key %s valid (issued by %s)\n", r.File, count(r.Measures), r.KeyID, Printable(r.Issuer))
		return 0
	}
	for _, p := range r.Problems {
		fmt.Fprintf(stdout, "%s: %s\n", r.File, p)
	}
	n := "1 problem"
	if len(r.Problems) > 1 {
		n = fmt.Sprintf("%d problems", len(r.Problems))
	}
	fmt.Fprintf(stdout, "%s: does NOT match its signed manifest (%s)\n", r.File, n)
	return 1
}

func count(n int) string {
	if n == 1 {
		return "1 measure"
	}
	return fmt.Sprintf("%d measures", n)
}
