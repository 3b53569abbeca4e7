package models_test

import (
	"context"
	"errors"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"pacte/models"
	"pacte/models/storetest"
)

// RFC 6238 appendix B, the SHA1 rows: the seed is the ASCII string
// "12345678901234567890" and the codes have 8 digits.
func TestTOTP_RFC6238Vectors(t *testing.T) {
	key := []byte("12345678901234567890")
	for _, v := range []struct {
		unix int64
		want string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	} {
		if got := models.TOTPCode(key, time.Unix(v.unix, 0), 8); got != v.want {
			t.Errorf("T=%d: %s, want %s", v.unix, got, v.want)
		}
	}
	// RFC 4226 appendix D (HOTP, 6 digits): TOTP at counter×30 s is HOTP
	// of the counter.
	for counter, want := range []string{"755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"} {
		if got := models.TOTPCode(key, time.Unix(int64(counter)*models.TOTPPeriod, 0), 6); got != want {
			t.Errorf("counter %d: %s, want %s", counter, got, want)
		}
	}
	// The base32 form of the same key gives the same 6-digit codes.
	secret := "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
	got, err := models.TOTPCodeFor(strings.ToLower(secret[:8])+" "+secret[8:], time.Unix(59, 0))
	if err != nil || got != "287082" {
		t.Errorf("from base32: %q %v", got, err)
	}
	if _, err := models.TOTPCodeFor("not base32!", time.Now()); err == nil {
		t.Error("a malformed secret was accepted")
	}
}

// A code is accepted one step either side of now, not two.
func TestTOTP_Window(t *testing.T) {
	secret := models.NewTOTPSecret()
	now := time.Unix(1_700_000_015, 0)
	cur := models.TOTPStep(now)
	for _, tc := range []struct {
		name   string
		offset time.Duration
		ok     bool
	}{
		{"Now", 0, true},
		{"OneStepEarly", -30 * time.Second, true},
		{"OneStepLate", 30 * time.Second, true},
		{"TwoStepsEarly", -60 * time.Second, false},
		{"TwoStepsLate", 60 * time.Second, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, err := models.TOTPCodeFor(secret, now.Add(tc.offset))
			if err != nil {
				t.Fatal(err)
			}
			step, ok := models.CheckTOTP(secret, code, now, 0)
			if ok != tc.ok {
				t.Fatalf("accepted=%v, want %v", ok, tc.ok)
			}
			if ok && step != cur+int64(tc.offset/(30*time.Second)) {
				t.Errorf("step %d, want %d", step, cur+int64(tc.offset/(30*time.Second)))
			}
		})
	}
	for _, bad := range []string{"", "12345", "1234567", "12345a", " 123456"} {
		if _, ok := models.CheckTOTP(secret, bad, now, 0); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Once a step was accepted, its code and every earlier one are refused.
func TestTOTP_ReplayRefused(t *testing.T) {
	secret := models.NewTOTPSecret()
	now := time.Unix(1_700_000_000, 0)
	code, _ := models.TOTPCodeFor(secret, now)
	step, ok := models.CheckTOTP(secret, code, now, 0)
	if !ok {
		t.Fatal("the current code is refused")
	}
	if _, ok := models.CheckTOTP(secret, code, now, step); ok {
		t.Error("the same code was accepted twice")
	}
	prev, _ := models.TOTPCodeFor(secret, now.Add(-30*time.Second))
	if _, ok := models.CheckTOTP(secret, prev, now, step); ok {
		t.Error("an earlier step was accepted after a later one")
	}
	next, _ := models.TOTPCodeFor(secret, now.Add(30*time.Second))
	if _, ok := models.CheckTOTP(secret, next, now.Add(30*time.Second), step); !ok {
		t.Error("the next step is refused")
	}
}

func TestTOTP_SecretAndURI(t *testing.T) {
	a, b := models.NewTOTPSecret(), models.NewTOTPSecret()
	if a == b {
		t.Error("two secrets are equal")
	}
	key, err := models.DecodeTOTPSecret(a)
	if err != nil || len(key) != 20 {
		t.Fatalf("secret %q: %d bytes, %v", a, len(key), err)
	}
	if !regexp.MustCompile(`^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$`).MatchString(models.GroupTOTPSecret(a)) {
		t.Errorf("grouped: %q", models.GroupTOTPSecret(a))
	}
	if got, want := models.TOTPURI("rev@example.ma", a), "otpauth://totp/Pacte:rev@example.ma?secret="+a+"&issuer=Pacte"; got != want {
		t.Errorf("URI %q, want %q", got, want)
	}
}

// totpStore is a store with a clock the test moves.
type totpStore struct {
	*models.Store
	mu  sync.Mutex
	now time.Time
}

func (s *totpStore) advance(d time.Duration) {
	s.mu.Lock()
	s.now = s.now.Add(d)
	s.mu.Unlock()
}

func (s *totpStore) code(t *testing.T, secret string) string {
	t.Helper()
	c, err := models.TOTPCodeFor(secret, s.Now())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTOTPStore(t *testing.T, engine string) *totpStore {
	s := &totpStore{Store: storetest.Open(t, engine), now: time.Now().UTC()}
	s.Store.Now = func() time.Time {
		s.mu.Lock()
		defer s.mu.Unlock()
		return s.now
	}
	return s
}

func totpCreateUser(t *testing.T, s *models.Store, role, email, password string) *models.User {
	t.Helper()
	hash, err := models.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	orgs, _ := s.Organizations(context.Background())
	var org *int64
	for _, o := range orgs {
		if (role == models.RoleReviewer && o.Slug == "ministry") || (role != models.RoleReviewer && o.Slug == "apebi") {
			id := o.ID
			org = &id
		}
	}
	now := s.Now()
	u := &models.User{Email: email, Name: "Person", Role: role, Status: models.StatusActive, PasswordHash: hash, Locale: "fr",
		OrganizationID: org, CreatedAt: now, UpdatedAt: now}
	if err := s.Write(context.Background(), func(tx *models.Tx) error { return tx.Create(u).Error }); err != nil {
		t.Fatal(err)
	}
	return u
}

func totpReload(t *testing.T, s *models.Store, u *models.User) *models.User {
	t.Helper()
	nu, err := s.UserByID(context.Background(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return nu
}

func totpErrCode(err error) string {
	var me *models.Error
	if errors.As(err, &me) {
		return me.Code
	}
	return ""
}

// The whole life of a second factor in the store: enrol, sign in with a
// code (once), with recovery codes (once each), the limits, and turn off.
func TestTOTP_Store(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newTOTPStore(t, engine)
			const pw = "a long enough password"
			u := totpCreateUser(t, s.Store, models.RoleReviewer, "totp-"+engine+"@example.ma", pw)

			member := totpCreateUser(t, s.Store, models.RoleMember, "member-"+engine+"@example.ma", pw)
			if _, err := s.BeginTOTP(ctx, member); totpErrCode(err) != models.EForbidden {
				t.Errorf("member BeginTOTP: %v", err)
			}

			secret, err := s.BeginTOTP(ctx, u)
			if err != nil {
				t.Fatal(err)
			}
			if u = totpReload(t, s.Store, u); u.TOTPEnabled || u.TOTPSecret != secret {
				t.Fatalf("pending state: enabled=%v", u.TOTPEnabled)
			}
			// Not on yet: the password alone signs in.
			if _, err := s.Authenticate(ctx, u.Email, pw, "192.0.2.1"); err != nil {
				t.Fatalf("before enabling: %v", err)
			}
			if _, err := s.EnableTOTP(ctx, u, "000000"); totpErrCode(err) != "invalid_fields" {
				t.Errorf("wrong first code: %v", err)
			}
			enrolCode := s.code(t, secret)
			codes, err := s.EnableTOTP(ctx, u, enrolCode)
			if err != nil {
				t.Fatal(err)
			}
			if len(codes) != models.RecoveryCodeCount {
				t.Fatalf("%d recovery codes", len(codes))
			}
			if _, err := s.EnableTOTP(ctx, u, s.code(t, secret)); totpErrCode(err) != "totp_already_enabled" {
				t.Errorf("enable twice: %v", err)
			}
			var stored []string
			s.Read(ctx).Table("totp_recovery_codes").Where("user_id = ?", u.ID).Order("id").Pluck("code_hash", &stored)
			if len(stored) != len(codes) {
				t.Fatalf("%d stored codes", len(stored))
			}
			for i, h := range stored {
				if h == codes[i] || strings.Contains(h, codes[i]) || len(h) != 64 {
					t.Errorf("recovery code %d is not stored as its hash", i)
				}
			}
			u = totpReload(t, s.Store, u)

			// The enrolment code's step is spent.
			if _, err := s.AuthenticateSecondFactor(ctx, u, enrolCode, "192.0.2.1"); totpErrCode(err) != "invalid_totp" {
				t.Errorf("enrolment code replayed: %v", err)
			}
			s.advance(30 * time.Second)
			c := s.code(t, secret)
			if _, err := s.AuthenticateSecondFactor(ctx, u, c, "192.0.2.1"); err != nil {
				t.Fatalf("current code: %v", err)
			}
			if _, err := s.AuthenticateSecondFactor(ctx, u, c, "192.0.2.1"); totpErrCode(err) != "invalid_totp" {
				t.Errorf("replayed code: %v", err)
			}
			if _, err := s.AuthenticateSecondFactor(ctx, u, "", "192.0.2.1"); totpErrCode(err) != "totp_required" {
				t.Errorf("no code: %v", err)
			}

			// Recovery codes: once each, typed loosely.
			if _, err := s.AuthenticateSecondFactor(ctx, u, " "+strings.ToUpper(codes[0])+" ", "192.0.2.1"); err != nil {
				t.Errorf("recovery code: %v", err)
			}
			if _, err := s.AuthenticateSecondFactor(ctx, u, codes[0], "192.0.2.1"); totpErrCode(err) != "invalid_totp" {
				t.Errorf("recovery code reused: %v", err)
			}
			if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != models.RecoveryCodeCount-1 {
				t.Errorf("%d codes left", n)
			}

			// Code guesses count as sign-in failures; a right password does
			// not clear them for an account with a second factor.
			acctFailures := func() int64 {
				var n int64
				s.Read(ctx).Table("login_failures").Where("key = ?", "acct:"+models.HashToken(u.Email)).Count(&n)
				return n
			}
			base := acctFailures()
			if _, err := s.AuthenticateSecondFactor(ctx, u, "12345-abcde", "192.0.2.9"); totpErrCode(err) != "invalid_totp" {
				t.Errorf("unknown recovery code: %v", err)
			}
			if _, err := s.Authenticate(ctx, u.Email, pw, "192.0.2.9"); err != nil {
				t.Fatal(err)
			}
			if got := acctFailures(); got != base+1 {
				t.Errorf("failures %d, want %d: the password step cleared them", got, base+1)
			}

			// Pending sign-ins: single use, expiring.
			raw, err := s.CreatePendingLogin(ctx, u.ID, s.Now().Add(models.PendingLoginTTL))
			if err != nil {
				t.Fatal(err)
			}
			if pu, _, err := s.TakePendingLogin(ctx, raw); err != nil || pu.ID != u.ID {
				t.Fatalf("take: %v", err)
			}
			if _, _, err := s.TakePendingLogin(ctx, raw); totpErrCode(err) != "login_expired" {
				t.Errorf("second take: %v", err)
			}
			raw, _ = s.CreatePendingLogin(ctx, u.ID, s.Now().Add(models.PendingLoginTTL))
			s.advance(models.PendingLoginTTL + time.Second)
			if _, _, err := s.TakePendingLogin(ctx, raw); totpErrCode(err) != "login_expired" {
				t.Errorf("expired take: %v", err)
			}
			var hashes []string
			s.Read(ctx).Table("pending_logins").Pluck("id_hash", &hashes)
			for _, h := range hashes {
				if h == raw {
					t.Error("a pending sign-in id is stored in clear")
				}
			}

			// Turning it off needs the password and a code.
			s.advance(30 * time.Second)
			if err := s.DisableTOTP(ctx, u, "wrong password!", s.code(t, secret), "192.0.2.1"); totpErrCode(err) != "invalid_fields" {
				t.Errorf("disable, wrong password: %v", err)
			}
			if err := s.DisableTOTP(ctx, u, pw, "000000", "192.0.2.1"); totpErrCode(err) != "invalid_fields" {
				t.Errorf("disable, wrong code: %v", err)
			}
			if err := s.DisableTOTP(ctx, u, pw, s.code(t, secret), "192.0.2.1"); err != nil {
				t.Fatalf("disable: %v", err)
			}
			if u = totpReload(t, s.Store, u); u.TOTPEnabled || u.TOTPSecret != "" {
				t.Errorf("after disabling: enabled=%v secret set=%v", u.TOTPEnabled, u.TOTPSecret != "")
			}
			if n, _ := s.RecoveryCodesLeft(ctx, u.ID); n != 0 {
				t.Errorf("%d recovery codes left after disabling", n)
			}

			// The events say on and off, never the secret.
			var payloads []string
			s.Read(ctx).Table("events").Where("subject_user_id = ? AND type = ?", u.ID, "user.updated").Order("id").Pluck("payload", &payloads)
			all := strings.Join(payloads, "\n")
			if !strings.Contains(all, `"totp_enabled":true`) || !strings.Contains(all, `"totp_enabled":false`) {
				t.Errorf("events: %s", all)
			}
			if strings.Contains(all, secret) {
				t.Error("an event holds the secret")
			}
		})
	}
}

// Two sign-ins racing with the same code: one wins.
func TestTOTP_ConcurrentReplay(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			s := newTOTPStore(t, engine)
			u := totpCreateUser(t, s.Store, models.RoleAdmin, "race-"+engine+"@example.ma", "a long enough password")
			secret, _ := s.BeginTOTP(ctx, u)
			if _, err := s.EnableTOTP(ctx, u, s.code(t, secret)); err != nil {
				t.Fatal(err)
			}
			u = totpReload(t, s.Store, u)
			s.advance(30 * time.Second)
			c := s.code(t, secret)
			var wg sync.WaitGroup
			var mu sync.Mutex
			wins := 0
			for range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					if _, err := s.AuthenticateSecondFactor(ctx, u, c, "192.0.2.1"); err == nil {
						mu.Lock()
						wins++
						mu.Unlock()
					}
				}()
			}
			wg.Wait()
			if wins != 1 {
				t.Errorf("%d sign-ins accepted the same code", wins)
			}
		})
	}
}
