package jobs

import (
	"bytes"
	"fmt"
	"html/template"
	"net/url"
	"strconv"
	"strings"
	"time"

	"pacte/i18n"
	"pacte/mail"
	"pacte/models"
	"pacte/templates"
)

// letters composes mail in the recipient's language: a plain-text part and
// an HTML part (dir="rtl" for Arabic) from one letter.
type letters struct {
	cat     *i18n.Catalog
	base    string
	store   *models.Store
	html    *template.Template
	msgHost string
}

// letter is what both parts say.
type letter struct {
	Lang, Dir, Start string
	Brand            string
	Subject          string
	Greeting         string
	Lines            []string
	Quote            string
	Items            []letterItem
	Action           string
	ActionURL        string
	LinkHint         string
	Footer           []string
	Unsubscribe      string
	UnsubscribeLabel string
	SettingsURL      string
	SettingsLabel    string
}

type letterItem struct{ Text, URL, Quote string }

func newLetters(cat *i18n.Catalog, base string, store *models.Store) (*letters, error) {
	t, err := template.ParseFS(templates.FS, "mail/letter.html")
	if err != nil {
		return nil, err
	}
	host := "pacte.localhost"
	if u, err := url.Parse(base); err == nil && u.Hostname() != "" {
		host = u.Hostname()
	}
	return &letters{cat: cat, base: strings.TrimRight(base, "/"), store: store, html: t, msgHost: host}, nil
}

func (l *letters) url(path string) string { return l.base + path }

// start fills what every letter has.
func (l *letters) start(u *models.User, subject string) letter {
	loc := u.Locale
	if loc == "" {
		loc = i18n.Default
	}
	lt := letter{Lang: loc, Dir: i18n.Dir(loc), Start: "left", Subject: subject,
		Brand: l.cat.T(loc, "mail.brand"), Greeting: l.cat.T(loc, "mail.greeting", u.Name),
		LinkHint: l.cat.T(loc, "mail.link_hint"), SettingsURL: l.url("/profile#notifications"),
		SettingsLabel: l.cat.T(loc, "mail.settings")}
	if lt.Dir == "rtl" {
		lt.Start = "right"
	}
	return lt
}

// message renders a letter into both parts.
func (l *letters) message(u *models.User, to string, lt letter, jobID int64) (*mail.Message, error) {
	var html bytes.Buffer
	if err := l.html.Execute(&html, lt); err != nil {
		return nil, err
	}
	var text strings.Builder
	text.WriteString(lt.Greeting + "\n\n")
	for _, line := range lt.Lines {
		text.WriteString(line + "\n\n")
	}
	if lt.Quote != "" {
		text.WriteString("> " + strings.ReplaceAll(lt.Quote, "\n", "\n> ") + "\n\n")
	}
	for _, it := range lt.Items {
		text.WriteString("- " + it.Text + "\n  " + it.URL + "\n")
		if it.Quote != "" {
			text.WriteString("  > " + it.Quote + "\n")
		}
	}
	if len(lt.Items) > 0 {
		text.WriteString("\n")
	}
	if lt.ActionURL != "" {
		text.WriteString(lt.Action + "\n" + lt.ActionURL + "\n\n")
	}
	text.WriteString("-- \n")
	for _, f := range lt.Footer {
		text.WriteString(f + "\n")
	}
	if lt.Unsubscribe != "" {
		text.WriteString(lt.UnsubscribeLabel + "\n" + lt.Unsubscribe + "\n")
		text.WriteString(lt.SettingsLabel + "\n" + lt.SettingsURL + "\n")
	}
	if to == "" {
		to = u.Email
	}
	return &mail.Message{To: to, ToName: u.Name, Lang: lt.Lang, Subject: lt.Subject, Text: text.String(), HTML: html.String(),
		MessageID: fmt.Sprintf("pacte-%d@%s", jobID, l.msgHost), Unsubscribe: lt.Unsubscribe, Link: lt.ActionURL}, nil
}

func (l *letters) invitation(u *models.User, token string, expires time.Time, jobID int64) (*mail.Message, error) {
	loc := u.Locale
	lt := l.start(u, l.cat.T(loc, "mail.invitation.subject"))
	lt.Lines = []string{l.cat.T(loc, "mail.invitation.line"), l.cat.T(loc, "mail.invitation.expires", i18n.FormatTime(expires, u.Location(), loc))}
	lt.Action, lt.ActionURL = l.cat.T(loc, "mail.invitation.action"), l.url("/invitations/"+token)
	lt.Footer = []string{l.cat.T(loc, "mail.invitation.footer")}
	return l.message(u, "", lt, jobID)
}

func (l *letters) reset(u *models.User, token string, jobID int64) (*mail.Message, error) {
	loc := u.Locale
	lt := l.start(u, l.cat.T(loc, "mail.reset.subject"))
	lt.Lines = []string{l.cat.T(loc, "mail.reset.line"), l.cat.T(loc, "mail.reset.not_you")}
	lt.Action, lt.ActionURL = l.cat.T(loc, "mail.reset.action"), l.url("/password-reset/"+token)
	lt.Footer = []string{l.cat.T(loc, "mail.footer.account")}
	return l.message(u, "", lt, jobID)
}

func (l *letters) emailConfirm(u *models.User, to, token string, jobID int64) (*mail.Message, error) {
	loc := u.Locale
	lt := l.start(u, l.cat.T(loc, "mail.email_confirm.subject"))
	lt.Lines = []string{l.cat.T(loc, "mail.email_confirm.line")}
	lt.Action, lt.ActionURL = l.cat.T(loc, "mail.email_confirm.action"), l.url("/email-change/"+token)
	lt.Footer = []string{l.cat.T(loc, "mail.footer.account")}
	return l.message(u, to, lt, jobID)
}

func (l *letters) emailChanged(u *models.User, to, newAddress string, jobID int64) (*mail.Message, error) {
	loc := u.Locale
	lt := l.start(u, l.cat.T(loc, "mail.email_changed.subject"))
	lt.Lines = []string{l.cat.T(loc, "mail.email_changed.line", newAddress), l.cat.T(loc, "mail.email_changed.not_you")}
	lt.Action, lt.ActionURL = l.cat.T(loc, "mail.email_changed.action"), l.url("/profile")
	lt.Footer = []string{l.cat.T(loc, "mail.footer.account")}
	return l.message(u, to, lt, jobID)
}

// NotificationText is the sentence of a notification in a language.
func NotificationText(cat *i18n.Catalog, loc string, n *models.NotificationView) string {
	actor := cat.T(loc, "notifications.someone")
	if n.Actor != nil {
		actor = n.Actor.Name
	}
	if n.Type == models.NotifyEditorJoined {
		return cat.T(loc, "notifications.text."+n.Type, actor, n.MeasureTitle, n.Excerpt)
	}
	return cat.T(loc, "notifications.text."+n.Type, actor, n.MeasureTitle)
}

// NotificationPath is where a notification leads: its measure, at the
// comment when there is one.
func NotificationPath(n *models.Notification) string {
	if n.MeasureID == nil {
		return "/notifications"
	}
	u := "/measures/" + strconv.FormatInt(*n.MeasureID, 10)
	if n.CommentID != nil {
		u += "#comment-" + strconv.FormatInt(*n.CommentID, 10)
	}
	return u
}

// quoted is the excerpt a notification's letter quotes, if any.
func quoted(n *models.NotificationView) string {
	switch n.Type {
	case models.NotifyEditorJoined:
		return ""
	}
	return n.Excerpt
}

func (l *letters) notification(u *models.User, n *models.NotificationView, jobID int64) (*mail.Message, error) {
	loc := u.Locale
	text := NotificationText(l.cat, loc, n)
	lt := l.start(u, text)
	lt.Lines = []string{text}
	lt.Quote = quoted(n)
	lt.Action, lt.ActionURL = l.cat.T(loc, "mail.notification.action"), l.url(NotificationPath(&n.Notification))
	lt.Footer = []string{l.cat.T(loc, "mail.footer.notification")}
	kind := models.KindOf(n.Type)
	lt.Unsubscribe = l.url("/unsubscribe/" + l.store.UnsubscribeToken(u.ID, kind))
	lt.UnsubscribeLabel = l.cat.T(loc, "mail.unsubscribe", l.cat.T(loc, "notifications.kind."+kind))
	return l.message(u, "", lt, jobID)
}

func (l *letters) digest(u *models.User, items []models.NotificationView, unread int, jobID int64) (*mail.Message, error) {
	loc := u.Locale
	lt := l.start(u, l.cat.N(loc, "mail.digest.subject", unread, unread))
	lt.Lines = []string{l.cat.T(loc, "mail.digest.line")}
	for i := range items {
		n := &items[i]
		lt.Items = append(lt.Items, letterItem{Text: NotificationText(l.cat, loc, n), URL: l.url(NotificationPath(&n.Notification)), Quote: quoted(n)})
	}
	if unread > len(items) {
		lt.Lines = append(lt.Lines, l.cat.N(loc, "mail.digest.more", unread-len(items), unread-len(items)))
	}
	lt.Action, lt.ActionURL = l.cat.T(loc, "mail.digest.action"), l.url("/notifications")
	lt.Footer = []string{l.cat.T(loc, "mail.footer.digest")}
	lt.Unsubscribe = l.url("/unsubscribe/" + l.store.UnsubscribeToken(u.ID, models.KindAll))
	lt.UnsubscribeLabel = l.cat.T(loc, "mail.unsubscribe_all")
	return l.message(u, "", lt, jobID)
}
