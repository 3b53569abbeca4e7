package jobs

import (
	"context"
	"errors"
	"fmt"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"pacte/mail"
	"pacte/models"
)

// mailWorker composes one message from what the database says now, and
// sends it.
type mailWorker struct {
	river.WorkerDefaults[models.MailArgs]
	r *Runner
}

// errDrop: the mail is no longer wanted (its link was replaced, its
// subject hidden, its person suspended or no longer wanting mail).
var errDrop = errors.New("no longer to be sent")

func (w *mailWorker) Work(ctx context.Context, job *river.Job[models.MailArgs]) error {
	r := w.r
	a := job.Args
	u, err := r.cfg.Store.UserByID(ctx, a.UserID)
	if err != nil {
		if models.ErrorKind(err) == models.ENotFound {
			return r.drop(ctx, job, "", "account gone")
		}
		return err
	}
	if u.Erased() {
		// Nothing is sent to, or about, an erased person; the log keeps no
		// address.
		return r.drop(ctx, job, "", "account erased")
	}
	msg, err := r.compose(ctx, u, job)
	if errors.Is(err, errDrop) {
		return r.drop(ctx, job, u.Email, err.Error())
	}
	if err != nil {
		return err
	}
	if err := r.cfg.Sender.Send(ctx, msg); err != nil {
		if mail.Permanent(err) {
			r.mailFailed(ctx, job.JobRow, err)
			return river.JobCancel(err)
		}
		return err
	}
	r.Counters.Sent.Add(1)
	uid := u.ID
	if err := r.cfg.Store.RecordMail(ctx, models.MailLog{JobID: job.ID, UserID: &uid, Kind: a.Purpose, ToAddress: msg.To,
		Status: models.MailSent, MessageID: msg.MessageID}); err != nil {
		r.log.Warn("mail sent but not logged", "job", job.ID, "err", err)
	}
	return nil
}

func (r *Runner) compose(ctx context.Context, u *models.User, job *river.Job[models.MailArgs]) (*mail.Message, error) {
	a := job.Args
	st := r.cfg.Store
	switch a.Purpose {
	case models.MailInvitation:
		if _, _, err := st.Invitation(ctx, a.Token); err != nil {
			if models.ErrorKind(err) == models.EUnavailable {
				return nil, err
			}
			return nil, fmt.Errorf("%w: invitation replaced or used", errDrop)
		}
		return r.letters.invitation(u, a.Token, a.Expires, job.ID)
	case models.MailReset:
		if _, err := st.PasswordResetFor(ctx, a.Token); err != nil {
			if models.ErrorKind(err) == models.EUnavailable {
				return nil, err
			}
			return nil, fmt.Errorf("%w: reset link used or expired", errDrop)
		}
		return r.letters.reset(u, a.Token, job.ID)
	case models.MailEmailConfirm:
		return r.letters.emailConfirm(u, a.To, a.Token, job.ID)
	case models.MailEmailChanged:
		pending, err := st.PendingEmailChange(ctx, u)
		if err != nil {
			return nil, err
		}
		if pending == "" {
			pending = "…"
		}
		return r.letters.emailChanged(u, a.To, pending, job.ID)
	case models.MailNotification:
		n, ok, err := st.NotificationForMail(ctx, u, a.NotificationID)
		if err != nil {
			return nil, err
		}
		if n == nil || !ok {
			return nil, fmt.Errorf("%w: notification read, or no longer visible to its person", errDrop)
		}
		d, err := st.DeliveryOf(ctx, u.ID, models.KindOf(n.Type))
		if err != nil {
			return nil, err
		}
		if d != models.DeliverImmediate {
			return nil, fmt.Errorf("%w: the person no longer wants this mail at once", errDrop)
		}
		return r.letters.notification(u, n, job.ID)
	case models.MailDigest:
		if !u.Active() {
			return nil, fmt.Errorf("%w: account not active", errDrop)
		}
		items, unread, err := st.DigestItems(ctx, u, 30)
		if err != nil {
			return nil, err
		}
		if len(items) == 0 {
			return nil, fmt.Errorf("%w: nothing left unread", errDrop)
		}
		return r.letters.digest(u, items, unread, job.ID)
	}
	return nil, fmt.Errorf("%w: unknown purpose %q", errDrop, a.Purpose)
}

func (r *Runner) drop(ctx context.Context, job *river.Job[models.MailArgs], to, why string) error {
	r.Counters.Dropped.Add(1)
	var uid *int64
	if job.Args.UserID != 0 {
		id := job.Args.UserID
		uid = &id
	}
	if to == "" {
		to = job.Args.To
	}
	if err := r.cfg.Store.RecordMail(ctx, models.MailLog{JobID: job.ID, UserID: uid, Kind: job.Args.Purpose,
		ToAddress: to, Status: models.MailDropped, Detail: why}); err != nil {
		return err
	}
	return nil
}

// mailFailed records a mail that will not be delivered, for the admins.
func (r *Runner) mailFailed(ctx context.Context, job *rivertype.JobRow, cause error) {
	r.Counters.Failed.Add(1)
	var a models.MailArgs
	_ = decodeArgs(job, &a)
	var uid *int64
	to := a.To
	if a.UserID != 0 {
		id := a.UserID
		uid = &id
		if to == "" {
			if u, err := r.cfg.Store.UserByID(ctx, a.UserID); err == nil {
				to = u.Email
			}
		}
	}
	if err := r.cfg.Store.RecordMail(context.WithoutCancel(ctx), models.MailLog{JobID: job.ID, UserID: uid, Kind: a.Purpose,
		ToAddress: to, Status: models.MailFailed, Detail: cause.Error()}); err != nil {
		r.log.Error("mail failure not recorded", "job", job.ID, "err", err)
	}
	r.log.Error("mail not delivered", "job", job.ID, "purpose", a.Purpose, "err", cause)
}
