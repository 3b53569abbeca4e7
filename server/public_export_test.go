package server

// PublicVersion is the version of the public Pact the caches and the
// PDFs made ahead are keyed on, for tests of what changes it.
func (s *Server) PublicVersion() int64 { return s.public.version.Load() }
