package server

import (
	"context"

	"pacte/models"
	"pacte/search"
)

// SearchCaughtUp waits until the search index has applied every event
// written so far.
func (s *Server) SearchCaughtUp(ctx context.Context) error {
	id, err := s.store.MaxEventID(ctx)
	if err != nil {
		return err
	}
	return s.search.caughtUp(ctx, id)
}

// SearchFinds counts what a search of text finds for u.
func (s *Server) SearchFinds(ctx context.Context, u *models.User, text string) (int, error) {
	res, err := s.runSearch(ctx, u, search.Query{Text: text, Size: 20})
	if err != nil {
		return 0, err
	}
	return len(res.Hits), nil
}

// PublicMatches counts the published measures the portal's words filter
// finds in the index.
func (s *Server) PublicMatches(ctx context.Context, words string) (int, error) {
	m, err := s.publicMatches(ctx, words)
	return len(m), err
}
