package servertest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server (github.com/emersion/go-smtp) in the
// test process: Pacte talks SMTP to it exactly as to a production relay.
// It can refuse for a while (temporary 451, or permanent 550), and be
// stopped (connections refused) and started again on the same address.
type SMTPServer struct {
	URL string
	// OnMessage, when set before the first message, is told of each
	// message accepted (in order: it is called under the server's lock)
	// instead of the message being kept: for loads too big to hold, such
	// as bench/mail's hundred thousand mails.
	OnMessage func(to string, raw []byte)
	addr      string
	mu        sync.Mutex
	srv       *smtp.Server // nil while stopped
	ln        net.Listener
	// Received holds each message's raw bytes, in order.
	received [][]byte
	fail     int // answer the next fail DATA commands with failCode
	failCode int
}

// NewSMTPServer starts a server on a free port; it stops with the test.
func NewSMTPServer(t testing.TB) *SMTPServer {
	t.Helper()
	s, err := ListenSMTP()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// ListenSMTP starts a server on a free port, outside a test; Stop ends it.
func ListenSMTP() (*SMTPServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &SMTPServer{addr: ln.Addr().String()}
	s.URL = "smtp://" + s.addr + "?tls=none"
	s.serve(ln)
	return s, nil
}

func (s *SMTPServer) serve(ln net.Listener) {
	srv := smtp.NewServer(smtpBackend{s})
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	s.mu.Lock()
	s.srv, s.ln = srv, ln
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Stop closes the server and its connections: until Start, a connection
// is refused, as by a relay that is down.
func (s *SMTPServer) Stop() {
	s.mu.Lock()
	srv, ln := s.srv, s.ln
	s.srv, s.ln = nil, nil
	s.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	ln.Close() // Serve may not have registered it with srv yet
}

// Start listens again, on the address of the URL, after Stop.
func (s *SMTPServer) Start() error {
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("SMTP server: listen again on %s: %w", s.addr, err)
	}
	s.serve(ln)
	return nil
}

// Fail makes the next n deliveries fail with code (451: try later; 550:
// never).
func (s *SMTPServer) Fail(n, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail, s.failCode = n, code
}

// Messages returns the raw messages received so far.
func (s *SMTPServer) Messages() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.received...)
}

type smtpBackend struct{ s *SMTPServer }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{s: b.s}, nil }

type smtpSession struct {
	s  *SMTPServer
	to string
}

func (ss *smtpSession) Reset()                                    { ss.to = "" }
func (*smtpSession) Logout() error                                { return nil }
func (*smtpSession) Mail(string, *smtp.MailOptions) error         { return nil }
func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error { ss.to = to; return nil }
func (ss *smtpSession) Data(r io.Reader) error {
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s := ss.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		if s.failCode >= 500 {
			return &smtp.SMTPError{Code: s.failCode, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
		}
		return &smtp.SMTPError{Code: s.failCode, EnhancedCode: smtp.EnhancedCode{4, 3, 0}, Message: "try again later"}
	}
	if s.OnMessage != nil {
		s.OnMessage(ss.to, body)
		return nil
	}
	s.received = append(s.received, bytes.Clone(body))
	return nil
}
