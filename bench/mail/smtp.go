package main

import (
	"bytes"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"pacte/server/servertest"
)

// mailbox is the test SMTP server (servertest.SMTPServer) keeping, instead
// of each message's bytes (100,000 of them would weigh half a gigabyte),
// when it was accepted, for whom, and the job id Pacte put in its
// Message-ID (pacte-<job>@host): enough to tie each mail to its event.
type mailbox struct {
	*servertest.SMTPServer
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
	srv, err := servertest.ListenSMTP()
	if err != nil {
		return nil, err
	}
	b := &mailbox{SMTPServer: srv}
	// Called in order, so the list is in time order.
	srv.OnMessage = func(to string, raw []byte) {
		b.mu.Lock()
		b.mails = append(b.mails, accepted{At: time.Now(), To: to, JobID: pacteJobID(raw)})
		b.mu.Unlock()
		b.accepted.Add(1)
	}
	return b, nil
}

// Count is how many messages were accepted so far.
func (b *mailbox) Count() int64 { return b.accepted.Load() }

// Mails returns what was accepted so far, in order.
func (b *mailbox) Mails() []accepted {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]accepted(nil), b.mails...)
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
