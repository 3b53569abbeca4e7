package server

// CollabListenerPID is the PostgreSQL backend pid of the co-editing
// listener (0 when not connected), for tests that cut it.
func (s *Server) CollabListenerPID() uint32 { return uint32(s.notifier.PID()) }
