package collab

// Invert returns the changes that undo cs once cs has been applied to
// doc, which must be the document as it was before cs (deleted text is
// taken from it). It fails for the same reasons as Apply. Applying the
// result to the new document gives doc back, which the server can use to
// roll back or undo an update.
func (cs ChangeSet) Invert(doc Doc) (ChangeSet, error) {
	if err := cs.check(doc); err != nil {
		return ChangeSet{}, err
	}
	inv := make([]section, len(cs.sections))
	pos := 0
	for i, s := range cs.sections {
		if s.keep {
			inv[i] = s
		} else {
			end := pos + s.old
			// Full slice expression: the text shares doc's array, so cap it
			// to make sure nobody can append into doc.
			inv[i] = section{old: len(s.text), text: doc.units[pos:end:end]}
		}
		pos += s.old
	}
	return ChangeSet{sections: inv}, nil
}
