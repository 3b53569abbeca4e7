package models

import (
	"context"
	"fmt"
	"slices"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// NotificationSetting is how one person receives one kind by mail; a kind
// with no row takes DefaultDelivery.
type NotificationSetting struct {
	UserID   int64  `gorm:"column:user_id;primaryKey"`
	Kind     string `gorm:"column:kind;primaryKey"`
	Delivery string `gorm:"column:delivery"`
}

// TableName tells GORM where settings live.
func (NotificationSetting) TableName() string { return "notification_settings" }

type deliveryPrefs map[int64]map[string]string

func (p deliveryPrefs) of(userID int64, kind string) string {
	if d, ok := p[userID][kind]; ok {
		return d
	}
	return DefaultDelivery(kind)
}

func deliveries(db *gorm.DB, ids []int64) (deliveryPrefs, error) {
	out := deliveryPrefs{}
	for chunk := range slices.Chunk(ids, 500) {
		var rows []NotificationSetting
		if err := db.Where("user_id IN ?", chunk).Find(&rows).Error; err != nil {
			return nil, err
		}
		for _, r := range rows {
			if out[r.UserID] == nil {
				out[r.UserID] = map[string]string{}
			}
			out[r.UserID][r.Kind] = r.Delivery
		}
	}
	return out, nil
}

// NotificationSettings gives every kind's delivery for the person.
func (s *Store) NotificationSettings(ctx context.Context, u *User) (map[string]string, error) {
	if !u.Active() {
		return nil, Errorf(EUnauthorized, "Please sign in.")
	}
	p, err := deliveries(s.Read(ctx), []int64{u.ID})
	if err != nil {
		return nil, dbError(err)
	}
	out := make(map[string]string, len(NotificationKinds))
	for _, k := range NotificationKinds {
		out[k] = p.of(u.ID, k)
	}
	return out, nil
}

// DeliveryOf is one kind's delivery for one person, as it is now (the mail
// worker asks again before sending).
func (s *Store) DeliveryOf(ctx context.Context, userID int64, kind string) (string, error) {
	p, err := deliveries(s.Read(ctx), []int64{userID})
	if err != nil {
		return "", dbError(err)
	}
	return p.of(userID, kind), nil
}

// SetNotificationSettings changes the kinds given; the others stay.
func (s *Store) SetNotificationSettings(ctx context.Context, u *User, settings map[string]string) (map[string]string, error) {
	if !Can(u, ActEditProfile, nil) {
		return nil, Errorf(EUnauthorized, "Please sign in.")
	}
	fe := FieldErrors{}
	for k, v := range settings {
		if !slices.Contains(NotificationKinds, k) {
			fe.Add(k, fmt.Sprintf("Unknown kind of notification %q.", k))
			continue
		}
		if v != DeliverImmediate && v != DeliverDigest && v != DeliverOff {
			fe.Add(k, "Choose immediate, digest or off.")
		}
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	err := s.Write(ctx, func(tx *Tx) error { return tx.setDeliveries(u.ID, settings) })
	if err != nil {
		return nil, err
	}
	return s.NotificationSettings(ctx, u)
}

// setDeliveries records a person's choices, kind by kind.
func (tx *Tx) setDeliveries(userID int64, settings map[string]string) error {
	for k, v := range settings {
		row := NotificationSetting{UserID: userID, Kind: k, Delivery: v}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "user_id"}, {Name: "kind"}},
			DoUpdates: clause.AssignmentColumns([]string{"delivery"})}).Create(&row).Error; err != nil {
			return err
		}
	}
	return nil
}
