// Package config reads Pacte's settings from flags, falling back to
// environment variables, then to defaults that work on a laptop.
package config

import (
	"flag"
	"fmt"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"pacte/mail"
	"pacte/models"
	"pacte/pact"
)

// mailDescribe says where mail goes, without the SMTP password.
func (c Config) mailDescribe() string {
	if c.SMTPURL == "" {
		return "files in " + c.DataDir + "/mail"
	}
	if s, err := mail.NewSMTP(c.SMTPURL, c.MailFrom, "Pacte"); err == nil {
		return s.Describe()
	}
	return "smtp"
}

// signingKeyDescribe says where the signing key comes from, never the key.
func (c Config) signingKeyDescribe() string {
	if c.SigningKey != "" {
		return "PACTE_SIGNING_KEY"
	}
	return filepath.Join(c.DataDir, pact.SigningKeyFile)
}

// Config is every setting the binary reads.
type Config struct {
	Addr           string
	DataDir        string
	DatabaseURL    string
	BaseURL        string
	TrustedProxies []string
	LogLevel       string
	LogFormat      string
	BodyLimit      string
	Demo           bool
	AdminEmail     string
	AdminPassword  string
	ShutdownGrace  time.Duration
	// RequireTOTPRoles are the roles that must turn on a second factor.
	RequireTOTPRoles []string
	// MetricsToken lets /metrics answer a scraper that is not on loopback
	// (Authorization: Bearer <token>); empty: loopback only.
	MetricsToken string
	// WSPerUser caps one account's websockets open at once.
	WSPerUser int
	// SMTPURL and MailFrom say where mail goes; without SMTPURL mail is
	// written as .eml files under DataDir/mail.
	SMTPURL  string
	MailFrom string
	// SigningKey is the base64 Ed25519 seed that signs the exports'
	// manifests; set it to the same value on every instance so they sign
	// alike. Empty: <DataDir>/signing-key.pem, made at first start.
	SigningKey string
	// Sessions are the idle timeout and absolute lifetime of a session
	// (PACTE_SESSION_IDLE, PACTE_SESSION_ABSOLUTE; 30 min and 12 h).
	Sessions models.SessionLifetimes
	// Retention is what the retention job keeps (PACTE_RETAIN_TOKENS,
	// PACTE_RETAIN_NOTIFICATIONS, PACTE_COLLAB_KEEP); RetainMail is how
	// long written .eml files are kept (PACTE_RETAIN_MAIL), RetentionEvery
	// how often the job runs (PACTE_RETENTION_EVERY).
	Retention      models.RetentionPolicy
	RetainMail     time.Duration
	RetentionEvery time.Duration
}

// Env lists the environment variables Config reads; the deployment test
// checks docker-compose.yml against it.
var Env = []string{"PACTE_ADDR", "PACTE_DATA_DIR", "DATABASE_URL", "PACTE_BASE_URL", "PACTE_TRUSTED_PROXIES",
	"PACTE_LOG_LEVEL", "PACTE_LOG_FORMAT", "PACTE_BODY_LIMIT", "PACTE_DEMO", "PACTE_ADMIN_EMAIL", "PACTE_ADMIN_PASSWORD",
	"PACTE_REQUIRE_TOTP", "PACTE_METRICS_TOKEN", "PACTE_WS_PER_USER", "PACTE_SMTP_URL", "PACTE_MAIL_FROM",
	"PACTE_SIGNING_KEY", "PACTE_SESSION_IDLE", "PACTE_SESSION_ABSOLUTE", "PACTE_RETAIN_TOKENS", "PACTE_RETAIN_NOTIFICATIONS",
	"PACTE_RETAIN_MAIL", "PACTE_COLLAB_KEEP", "PACTE_RETENTION_EVERY"}

// Load parses args (without the program name) with getenv as the fallback.
func Load(args []string, getenv func(string) string, stderr io.Writer) (Config, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c Config
	var proxies, totpRoles string
	fs := flag.NewFlagSet("pacte", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage of pacte:")
		fs.PrintDefaults()
		fmt.Fprintln(fs.Output(), "Environment only (secrets never belong on a command line):\n"+
			"  PACTE_ADMIN_EMAIL, PACTE_ADMIN_PASSWORD  create the first administrator if there is none\n"+
			"  PACTE_METRICS_TOKEN  lets /metrics answer 'Authorization: Bearer <token>' from outside loopback\n"+
			"  PACTE_SMTP_URL  smtp://user:password@host:587 (STARTTLS; ?tls=required) or smtps://…:465; unset: mail is written to <data dir>/mail/*.eml\n"+
			"  PACTE_MAIL_FROM  the sender address of Pacte's mail, e.g. pacte@example.ma\n"+
			"  PACTE_SIGNING_KEY  base64 of a 32-byte Ed25519 seed (openssl rand -base64 32) that signs the exports, the same on every instance; unset: <data dir>/signing-key.pem, made at first start")
	}
	fs.StringVar(&c.Addr, "addr", env("PACTE_ADDR", ":8080"), "address to listen on (PACTE_ADDR)")
	fs.StringVar(&c.DataDir, "data-dir", env("PACTE_DATA_DIR", "./data"), "folder for the SQLite file (PACTE_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", env("DATABASE_URL", ""), "postgres://… to use PostgreSQL instead of SQLite (DATABASE_URL)")
	fs.StringVar(&c.BaseURL, "base-url", env("PACTE_BASE_URL", ""), "public address, e.g. https://pacte.example.ma (PACTE_BASE_URL)")
	fs.StringVar(&proxies, "trusted-proxies", env("PACTE_TRUSTED_PROXIES", ""), "comma-separated proxy addresses/CIDRs whose X-Forwarded-For is trusted (PACTE_TRUSTED_PROXIES)")
	fs.StringVar(&c.LogLevel, "log-level", env("PACTE_LOG_LEVEL", "info"), "debug, info, warn or error (PACTE_LOG_LEVEL)")
	fs.StringVar(&c.LogFormat, "log-format", env("PACTE_LOG_FORMAT", "text"), "text or json (PACTE_LOG_FORMAT)")
	fs.StringVar(&c.BodyLimit, "body-limit", env("PACTE_BODY_LIMIT", "2M"), "largest request body (PACTE_BODY_LIMIT)")
	fs.StringVar(&totpRoles, "require-totp", env("PACTE_REQUIRE_TOTP", ""), "comma-separated roles that must use two-step sign-in, e.g. reviewer,moderator,admin (PACTE_REQUIRE_TOTP)")
	wsPerUser := env("PACTE_WS_PER_USER", "32")
	fs.StringVar(&wsPerUser, "ws-per-user", wsPerUser, "most websockets one account may hold open at once (PACTE_WS_PER_USER)")
	periods := []struct {
		flag, env, def, usage string
		into                  *time.Duration
		value                 string
	}{
		{"session-idle", "PACTE_SESSION_IDLE", "30m", "a session ends after this long without a request or websocket message", &c.Sessions.Idle, ""},
		{"session-absolute", "PACTE_SESSION_ABSOLUTE", "12h", "a session ends this long after sign-in, however busy", &c.Sessions.Absolute, ""},
		{"retain-tokens", "PACTE_RETAIN_TOKENS", "30d", "used or expired invitations, reset and email-change links are deleted after this", &c.Retention.Tokens, ""},
		{"retain-notifications", "PACTE_RETAIN_NOTIFICATIONS", "90d", "read notifications are deleted this long after being read", &c.Retention.Notifications, ""},
		{"retain-mail", "PACTE_RETAIN_MAIL", "30d", "written .eml files are deleted after this", &c.RetainMail, ""},
		{"retention-every", "PACTE_RETENTION_EVERY", "1h", "how often the retention job runs", &c.RetentionEvery, ""},
	}
	for i := range periods {
		p := &periods[i]
		p.value = env(p.env, p.def)
		fs.StringVar(&p.value, p.flag, p.value, p.usage+", e.g. 45m, 12h, 30d ("+p.env+")")
	}
	collabKeep := env("PACTE_COLLAB_KEEP", strconv.Itoa(models.DefaultCollabKeep))
	fs.StringVar(&collabKeep, "collab-keep", collabKeep, "co-editing updates kept before each measure's last saved revision (PACTE_COLLAB_KEEP)")
	demoDefault := env("PACTE_DEMO", "") == "1" || env("PACTE_DEMO", "") == "true"
	fs.BoolVar(&c.Demo, "demo", demoDefault, "seed demonstration accounts and measures (PACTE_DEMO=1)")
	if err := fs.Parse(args); err != nil {
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	n, err := strconv.Atoi(strings.TrimSpace(wsPerUser))
	if err != nil || n < 1 || n > 100000 {
		return c, fmt.Errorf("ws-per-user %q: use a whole number from 1 to 100000", wsPerUser)
	}
	c.WSPerUser = n
	for _, p := range periods {
		d, err := parsePeriod(p.value)
		if err != nil || d <= 0 {
			return c, fmt.Errorf("%s %q: use a positive duration such as 45m, 12h or 30d", p.flag, p.value)
		}
		*p.into = d
	}
	if err := c.Sessions.Check(); err != nil {
		return c, fmt.Errorf("session-idle, session-absolute: %w", err)
	}
	keep, err := strconv.Atoi(strings.TrimSpace(collabKeep))
	if err != nil || keep < 0 || keep > 1000000 {
		return c, fmt.Errorf("collab-keep %q: use a whole number from 0 to 1000000", collabKeep)
	}
	c.Retention.CollabKeep = keep
	c.AdminEmail = getenv("PACTE_ADMIN_EMAIL")
	c.AdminPassword = getenv("PACTE_ADMIN_PASSWORD")
	c.MetricsToken = strings.TrimSpace(getenv("PACTE_METRICS_TOKEN"))
	c.SMTPURL = strings.TrimSpace(getenv("PACTE_SMTP_URL"))
	c.MailFrom = strings.TrimSpace(getenv("PACTE_MAIL_FROM"))
	c.SigningKey = strings.TrimSpace(getenv("PACTE_SIGNING_KEY"))
	if c.SigningKey != "" {
		if _, err := pact.ParseSigningSeed(c.SigningKey); err != nil {
			return c, err
		}
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return c, fmt.Errorf("PACTE_METRICS_TOKEN must be at least 16 characters long")
	}
	c.ShutdownGrace = 10 * time.Second
	for _, p := range strings.Split(proxies, ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	for _, r := range strings.Split(totpRoles, ",") {
		r = strings.ToLower(strings.TrimSpace(r))
		if r == "" || slices.Contains(c.RequireTOTPRoles, r) {
			continue
		}
		if r != "reviewer" && r != "moderator" && r != "admin" {
			return c, fmt.Errorf("require-totp: %q is not a role that can use two-step sign-in (reviewer, moderator, admin)", r)
		}
		c.RequireTOTPRoles = append(c.RequireTOTPRoles, r)
	}
	if c.BaseURL == "" {
		host, port, err := net.SplitHostPort(c.Addr)
		if err != nil {
			return c, fmt.Errorf("address %q: %w", c.Addr, err)
		}
		if host == "" || host == "0.0.0.0" || host == "::" {
			host = "localhost"
		}
		c.BaseURL = "http://" + net.JoinHostPort(host, port)
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.MailFrom == "" {
		c.MailFrom = mail.DefaultFrom(c.BaseURL)
	}
	if c.SMTPURL != "" {
		if _, err := mail.NewSMTP(c.SMTPURL, c.MailFrom, "Pacte"); err != nil {
			return c, err
		}
	}
	if err := models.CheckDatabaseURL(c.DatabaseURL); err != nil {
		return c, err
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("log level %q: use debug, info, warn or error", c.LogLevel)
	}
	return c, nil
}

// Describe lists the settings for the start-up banner, secrets left out.
func (c Config) Describe() []any {
	db := "sqlite:" + c.DataDir + "/pacte.db"
	if c.DatabaseURL != "" {
		db = redactDatabaseURL(c.DatabaseURL)
	}
	admin := "(not set)"
	if c.AdminEmail != "" {
		admin = c.AdminEmail
	}
	return []any{"addr", c.Addr, "base_url", c.BaseURL, "database", db, "data_dir", c.DataDir,
		"trusted_proxies", strings.Join(c.TrustedProxies, ","), "log_level", c.LogLevel, "body_limit", c.BodyLimit,
		"demo", c.Demo, "admin_email", admin, "admin_password_set", c.AdminPassword != "",
		"require_totp", strings.Join(c.RequireTOTPRoles, ","), "metrics_token_set", c.MetricsToken != "",
		"signing_key", c.signingKeyDescribe(),
		"ws_per_user", c.WSPerUser, "mail", c.mailDescribe(),
		"session_idle", c.Sessions.Idle, "session_absolute", c.Sessions.Absolute,
		"retain_tokens", c.Retention.Tokens, "retain_notifications", c.Retention.Notifications,
		"retain_mail", c.RetainMail, "collab_keep", c.Retention.CollabKeep, "retention_every", c.RetentionEvery}
}

// parsePeriod reads a Go duration (45m, 12h) or a whole number of days
// (30d): retention periods are thought of in days.
func parsePeriod(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n > 100*365 {
			return 0, fmt.Errorf("bad number of days %q", s)
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// redactDatabaseURL hides the password wherever a PostgreSQL URL may carry
// it: in the user part (even with a raw "@" in it) or as a parameter.
func redactDatabaseURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unreadable DATABASE_URL)"
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), "***")
	}
	q := u.Query()
	for k := range q {
		if strings.EqualFold(k, "password") {
			q.Set(k, "***")
		}
	}
	u.RawQuery = q.Encode()
	return u.String()
}
