package models_test

import (
	"context"
	"testing"

	"pacte/models"
	"pacte/models/storetest"
)

// TestStore_AccountLifecycle follows an account at the store: invited by
// a moderator within their rights, accepted with a good password, signed
// in, its profile, password and tokens changed, then suspended, which ends
// its access; each refusal with its kind.
func TestStore_AccountLifecycle(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(engine, func(t *testing.T) {
			t.Parallel()
			s := storetest.Open(t, engine)
			ctx := context.Background()
			mod := mustUser(t, s, models.RoleModerator, "mnc")
			member := mustUser(t, s, models.RoleMember, "apebi")
			kind := models.ErrorKind
			orgs, err := s.Organizations(ctx)
			if err != nil {
				t.Fatal(err)
			}
			org := map[string]int64{}
			for _, o := range orgs {
				org[o.Slug] = o.ID
			}

			// Inviting: staff only, and a moderator cannot make an admin.
			req := models.InviteRequest{Email: " Salma@Example.MA ", Name: "Salma Alaoui", OrganizationID: org["ausim"], Role: models.RoleMember}
			if _, _, err := s.Invite(ctx, member, req); kind(err) != models.EForbidden {
				t.Errorf("a member invites: %v", err)
			}
			if _, _, err := s.Invite(ctx, mod, models.InviteRequest{Email: "boss@example.ma", Name: "Boss", Role: models.RoleAdmin}); kind(err) != models.EForbidden {
				t.Errorf("a moderator invites an admin: %v", err)
			}
			if _, _, err := s.Invite(ctx, mod, models.InviteRequest{Email: "nope", Name: "", OrganizationID: org["ausim"], Role: models.RoleMember}); kind(err) != models.EInvalid {
				t.Errorf("a bad invitation: %v", err)
			}
			_, raw, err := s.Invite(ctx, mod, req)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.AcceptInvitation(ctx, raw, "court"); kind(err) != models.EInvalid {
				t.Errorf("a weak password: %v", err)
			}
			salma, err := s.AcceptInvitation(ctx, raw, "Cloud-souverain-2030")
			if err != nil {
				t.Fatal(err)
			}
			if salma.Email != "salma@example.ma" || salma.Status != models.StatusActive || salma.OrgID() != org["ausim"] {
				t.Errorf("accepted account: %+v", salma)
			}
			if _, err := s.AcceptInvitation(ctx, raw, "Cloud-souverain-2030"); err == nil {
				t.Error("a link accepted twice")
			}

			// Signing in: one answer for a wrong password and an unknown email.
			if _, err := s.SignIn(ctx, "salma@example.ma", "pas le bon", models.LoginClient{IP: "192.0.2.1"}); !hasCode(err, "invalid_credentials") {
				t.Errorf("wrong password: %v", err)
			}
			if _, err := s.SignIn(ctx, "personne@example.ma", "pas le bon", models.LoginClient{IP: "192.0.2.1"}); !hasCode(err, "invalid_credentials") {
				t.Errorf("unknown email: %v", err)
			}
			if u, err := s.SignIn(ctx, "SALMA@example.ma", "Cloud-souverain-2030", models.LoginClient{IP: "192.0.2.1"}); err != nil || u.ID != salma.ID {
				t.Fatalf("sign in: %v", err)
			}

			// Profile, password and tokens are one's own.
			name, locale := "Salma Alaoui Idrissi", "ar"
			if u, err := s.UpdateProfile(ctx, salma, models.ProfileChange{Name: &name, Locale: &locale}); err != nil || u.Name != name || u.Locale != "ar" {
				t.Fatalf("profile: %+v, %v", u, err)
			}
			bad := "xx"
			if _, err := s.UpdateProfile(ctx, salma, models.ProfileChange{Locale: &bad}); err == nil {
				t.Error("an unknown language was accepted")
			}
			tok, rawTok, err := s.CreateToken(ctx, salma, "Script de suivi")
			if err != nil || rawTok == "" {
				t.Fatalf("token: %v", err)
			}
			if err := s.DeleteToken(ctx, member, tok.ID); kind(err) != models.ENotFound {
				t.Errorf("someone else deletes the token: %v", err)
			}
			if _, err := s.ChangePassword(ctx, salma, models.PasswordChange{Current: "pas le bon", New: "Nouveau-mot-2031"}); err == nil {
				t.Error("password changed without the current one")
			}
			if _, err := s.ChangePassword(ctx, salma, models.PasswordChange{Current: "Cloud-souverain-2030", New: "Nouveau-mot-2031", RevokeTokens: true}); err != nil {
				t.Fatal(err)
			}
			if toks, err := s.Tokens(ctx, salma.ID); err != nil || len(toks) != 0 {
				t.Errorf("tokens after revoking: %d, %v", len(toks), err)
			}

			// Suspension: by staff, never of oneself; it ends sign-ins.
			suspended := models.StatusSuspended
			// (A member does not see other accounts: for them it does not exist.)
			if _, err := s.UpdateUser(ctx, member, salma.ID, models.UserChange{Status: &suspended}); kind(err) != models.ENotFound {
				t.Errorf("a member suspends: %v", err)
			}
			if _, err := s.UpdateUser(ctx, mod, mod.ID, models.UserChange{Status: &suspended}); kind(err) != models.EForbidden {
				t.Errorf("a moderator suspends themselves: %v", err)
			}
			if u, err := s.UpdateUser(ctx, mod, salma.ID, models.UserChange{Status: &suspended}); err != nil || u.Status != suspended {
				t.Fatalf("suspend: %v", err)
			}
			if _, err := s.SignIn(ctx, "salma@example.ma", "Nouveau-mot-2031", models.LoginClient{IP: "192.0.2.2"}); !hasCode(err, "account_suspended") {
				t.Errorf("a suspended person signs in: %v", err)
			}
			page, err := s.ListUsers(ctx, mod, models.UserFilter{Query: "salma"})
			if err != nil || len(page.Items) != 1 || page.Items[0].Status != suspended {
				t.Errorf("the list: %+v, %v", page.Items, err)
			}
			if _, err := s.ListUsers(ctx, member, models.UserFilter{}); kind(err) != models.EForbidden {
				t.Errorf("a member lists accounts: %v", err)
			}
		})
	}
}
