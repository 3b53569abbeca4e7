package models

import "context"

// Following a measure brings its news (status, reviews, co-sponsors,
// editors, new comments) to the person's notifications. Editors follow
// their measures from the moment they become editors, and may stop.

// follow records that the person follows the measure (no-op if they do).
func (tx *Tx) follow(userID, measureID int64) error {
	return tx.Exec("INSERT INTO follows (user_id, measure_id, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
		userID, measureID, tx.store.Now()).Error
}

// SetFollowing follows or unfollows a measure the person can see.
func (s *Store) SetFollowing(ctx context.Context, u *User, measureID int64, on bool) error {
	return s.Write(ctx, func(tx *Tx) error {
		a, err := measureAccess(tx.DB, measureID)
		if err != nil {
			return err
		}
		if !CanSeeMeasure(u, a) {
			return NotFound("Measure")
		}
		if on {
			return tx.follow(u.ID, measureID)
		}
		return tx.Exec("DELETE FROM follows WHERE user_id = ? AND measure_id = ?", u.ID, measureID).Error
	})
}

// IsFollowing reports whether the person follows the measure.
func (s *Store) IsFollowing(ctx context.Context, u *User, measureID int64) (bool, error) {
	var n int64
	err := s.Read(ctx).Table("follows").Where("user_id = ? AND measure_id = ?", u.ID, measureID).Count(&n).Error
	return n > 0, dbError(err)
}
