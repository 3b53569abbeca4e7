// Package mail sends Pacte's messages: through an SMTP server when one is
// configured (PACTE_SMTP_URL), otherwise as .eml files in a folder, so that
// a laptop install works end to end. Messages are built by
// github.com/wneessen/go-mail (MIME, encodings, headers): nothing here
// writes MIME by hand.
package mail

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Message is one mail, composed by the caller in the recipient's language.
type Message struct {
	To     string
	ToName string
	// Lang and Dir go on the HTML part (dir="rtl" for Arabic).
	Lang    string
	Subject string
	Text    string
	HTML    string
	// MessageID, without angle brackets, is stable across retries so that
	// a receiver can recognise a message it already has.
	MessageID string
	// Unsubscribe, on notification mail, is the one-click link of RFC 8058.
	Unsubscribe string
	// Link is the message's main link, logged when mail goes to files.
	Link string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m *Message) error
	// Describe says where mail goes, for the start-up banner.
	Describe() string
}

// PermanentError is a failure that trying again will not fix: a malformed
// address, or the server's 5xx.
type PermanentError struct{ Err error }

func (e *PermanentError) Error() string { return e.Err.Error() }
func (e *PermanentError) Unwrap() error { return e.Err }

// Permanent reports whether err should stop the retries.
func Permanent(err error) bool {
	var p *PermanentError
	if errors.As(err, &p) {
		return true
	}
	var se *gomail.SendError
	if errors.As(err, &se) {
		if code := se.ErrorCode(); code >= 500 && code < 600 {
			return true
		}
		return false
	}
	return false
}

// oneLine keeps header values on one line: a CR or LF in a name or a
// subject could otherwise start a header of its own.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.NewReplacer("\r", " ", "\n", " ").Replace(s)), " ")
}

// compose builds the MIME message: multipart/alternative, plain text then
// HTML, UTF-8, quoted-printable.
func compose(from, fromName string, m *Message) (*gomail.Msg, error) {
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	if err := msg.FromFormat(oneLine(fromName), from); err != nil {
		return nil, &PermanentError{fmt.Errorf("sender address %q: %w", from, err)}
	}
	if err := msg.AddToFormat(oneLine(m.ToName), m.To); err != nil {
		return nil, &PermanentError{fmt.Errorf("recipient address: %w", err)}
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetDate()
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(oneLine(m.MessageID))
	} else {
		msg.SetMessageID()
	}
	if m.Unsubscribe != "" {
		msg.SetGenHeader(gomail.Header("List-Unsubscribe"), "<"+oneLine(m.Unsubscribe)+">")
		msg.SetGenHeader(gomail.Header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click")
	}
	msg.SetGenHeader(gomail.Header("Auto-Submitted"), "auto-generated")
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, nil
}

// SMTP sends through a mail server.
type SMTP struct {
	host, from, fromName string
	opts                 []gomail.Option
	describe             string
}

// NewSMTP reads PACTE_SMTP_URL: smtp://user:pass@host:587 (STARTTLS when
// offered; ?tls=required demands it) or smtps://user:pass@host:465
// (implicit TLS). ?tls=skip-verify accepts any certificate (a test server).
func NewSMTP(raw, from, fromName string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return nil, errors.New("PACTE_SMTP_URL must look like smtp://user:password@host:587 or smtps://user:password@host:465")
	}
	host, portStr, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, portStr = u.Host, ""
	}
	port := 0
	if portStr != "" {
		if port, err = strconv.Atoi(portStr); err != nil || port < 1 || port > 65535 {
			return nil, fmt.Errorf("PACTE_SMTP_URL: port %q is not a port number", portStr)
		}
	}
	opts := []gomail.Option{gomail.WithTimeout(30 * time.Second)}
	switch u.Scheme {
	case "smtp":
		if port == 0 {
			port = 587
		}
		policy := gomail.TLSOpportunistic
		switch u.Query().Get("tls") {
		case "", "opportunistic":
		case "required":
			policy = gomail.TLSMandatory
		case "none":
			policy = gomail.NoTLS
		default:
			return nil, errors.New("PACTE_SMTP_URL: tls= takes required, opportunistic or none")
		}
		opts = append(opts, gomail.WithTLSPolicy(policy))
	case "smtps":
		if port == 0 {
			port = 465
		}
		opts = append(opts, gomail.WithSSL())
	default:
		return nil, errors.New("PACTE_SMTP_URL must start with smtp:// or smtps://")
	}
	opts = append(opts, gomail.WithPort(port))
	if u.User != nil && u.User.Username() != "" {
		pass, _ := u.User.Password()
		opts = append(opts, gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass),
			gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover))
	}
	if helo := u.Query().Get("helo"); helo != "" {
		opts = append(opts, gomail.WithHELO(helo))
	}
	if _, err := netmail.ParseAddress(from); err != nil {
		return nil, fmt.Errorf("PACTE_MAIL_FROM %q: %w", from, err)
	}
	return &SMTP{host: host, from: from, fromName: fromName, opts: opts,
		describe: fmt.Sprintf("smtp %s:%d", host, port)}, nil
}

// DefaultFrom is the sender address when PACTE_MAIL_FROM is not set:
// pacte@ the base URL's host (pacte@localhost on a laptop).
func DefaultFrom(baseURL string) string {
	host := "localhost"
	if u, err := url.Parse(baseURL); err == nil && strings.Contains(u.Hostname(), ".") {
		host = u.Hostname()
	}
	return "pacte@" + host
}

// Describe says where mail goes (never the password).
func (s *SMTP) Describe() string { return s.describe }

// Send opens a connection, sends one message and closes it. A connection
// per message keeps a worker independent of the others; the server's 5xx
// is a PermanentError.
func (s *SMTP) Send(ctx context.Context, m *Message) error {
	msg, err := compose(s.from, s.fromName, m)
	if err != nil {
		return err
	}
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return err
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		if Permanent(err) {
			return &PermanentError{err}
		}
		return err
	}
	return nil
}

// Dir writes each message as an .eml file, for installs without a mail
// server: any mail program opens them.
type Dir struct {
	dir, from, fromName string
	log                 *slog.Logger
}

// NewDir writes mail under dir.
func NewDir(dir, from, fromName string, log *slog.Logger) *Dir {
	return &Dir{dir: dir, from: from, fromName: fromName, log: log}
}

// Describe says where mail goes.
func (d *Dir) Describe() string { return "files in " + d.dir }

// Send writes the message to <dir>/<time>-<message id>.eml and logs its
// subject and main link.
func (d *Dir) Send(ctx context.Context, m *Message) error {
	msg, err := compose(d.from, d.fromName, m)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(d.dir, 0o750); err != nil {
		return err
	}
	id := m.MessageID
	if id == "" {
		id = strconv.FormatInt(time.Now().UnixNano(), 36)
	}
	name := time.Now().UTC().Format("20060102-150405") + "-" + safeName(id) + ".eml"
	path := filepath.Join(d.dir, name)
	tmp := path + ".tmp"
	if err := msg.WriteToFile(tmp); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	d.log.Info("mail written", "to", m.To, "subject", m.Subject, "link", m.Link, "file", path)
	return nil
}

func safeName(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
			b[i] = '_'
		}
	}
	return string(b)
}
