package models

import "testing"

// TestVerifyPassword_UnknownAccountCostsTheSame replaces a wall-clock
// comparison: checking a password for an account that does not exist
// derives a key with the same argon2id parameters as checking a real one,
// so the answer takes as long and tells nothing about who has an account.
func TestVerifyPassword_UnknownAccountCostsTheSame(t *testing.T) {
	real, err := HashPassword("Le-bon-mot-de-passe-2026")
	if err != nil {
		t.Fatal(err)
	}
	want := passwordCost{memory: argonMemory, time: argonTime, threads: argonThreads}
	ok, wrong := verifyPassword(real, "pas le bon")
	if ok || wrong != want {
		t.Fatalf("wrong password: ok=%v cost %+v, want %+v", ok, wrong, want)
	}
	ok, unknown := verifyPassword("", "pas le bon")
	if ok || unknown != wrong {
		t.Errorf("unknown account: ok=%v cost %+v, a wrong password costs %+v", ok, unknown, wrong)
	}
	if ok, right := verifyPassword(real, "Le-bon-mot-de-passe-2026"); !ok || right != want {
		t.Errorf("right password: ok=%v cost %+v", ok, right)
	}
	if ok, _ := verifyPassword("$bcrypt$whatever", "x"); ok {
		t.Error("an unreadable hash matched")
	}
}
