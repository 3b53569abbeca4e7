package main

import (
	"bytes"
	"io"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-smtp"
)

// mailbox is a real SMTP server (go-smtp, as servertest.SMTPServer) that
// keeps, instead of each message's bytes (100,000 of them would weigh half
// a gigabyte), when it was accepted, for whom, and the job id Pacte put in
// its Message-ID (pacte-<job>@host): enough to tie each mail to its event.
type mailbox struct {
	URL      string
	srv      *smtp.Server
	accepted atomic.Int64
	mu       sync.Mutex
	mails    []accepted
}

// accepted is one message the server said 250 to.
type accepted struct {
	At    time.Time
	To    string
	JobID int64 // 0 when the Message-ID is not Pacte's
}

func newMailbox() (*mailbox, error) {
	b := &mailbox{}
	srv := smtp.NewServer(mailboxBackend{b})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 30 * time.Second
	srv.WriteTimeout = 30 * time.Second
	srv.MaxRecipients = 1
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.srv = srv
	b.URL = "smtp://" + ln.Addr().String() + "?tls=none"
	go srv.Serve(ln)
	return b, nil
}

func (b *mailbox) Close() { b.srv.Close() }

// Count is how many messages were accepted so far.
func (b *mailbox) Count() int64 { return b.accepted.Load() }

// Mails returns what was accepted so far, in order.
func (b *mailbox) Mails() []accepted {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]accepted(nil), b.mails...)
}

type mailboxBackend struct{ b *mailbox }

func (m mailboxBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &mailboxSession{b: m.b}, nil
}

type mailboxSession struct {
	b  *mailbox
	to string
}

func (s *mailboxSession) Reset()                             { s.to = "" }
func (*mailboxSession) Logout() error                        { return nil }
func (*mailboxSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *mailboxSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = to
	return nil
}

func (s *mailboxSession) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	a := accepted{To: s.to, JobID: pacteJobID(body)}
	s.b.mu.Lock()
	// The time is taken under the lock so that the list is in time order.
	a.At = time.Now()
	s.b.mails = append(s.b.mails, a)
	s.b.mu.Unlock()
	s.b.accepted.Add(1)
	return nil
}

// pacteJobID reads the job id out of a Message-ID: <pacte-123@host>.
func pacteJobID(msg []byte) int64 {
	head := msg
	if i := bytes.Index(msg, []byte("\r\n\r\n")); i >= 0 {
		head = msg[:i]
	}
	for _, line := range bytes.Split(head, []byte("\r\n")) {
		name, value, ok := bytes.Cut(line, []byte(":"))
		if !ok || !bytes.EqualFold(bytes.TrimSpace(name), []byte("Message-ID")) {
			continue
		}
		value = bytes.TrimSpace(value)
		value = bytes.TrimPrefix(value, []byte("<pacte-"))
		if at := bytes.IndexByte(value, '@'); at > 0 {
			id, _ := strconv.ParseInt(string(value[:at]), 10, 64)
			return id
		}
	}
	return 0
}
