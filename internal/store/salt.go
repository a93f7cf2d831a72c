package store

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"
)

// keySalt holds the store's secret fingerprint salt.
var keySalt = []byte("meta/secret-salt")

// saltSize is the salt's length in bytes.
const saltSize = 32

// SecretSalt returns the store's salt for secret fingerprints, creating a
// random one the first time. Fingerprints made with it recognise the same
// secret across snapshots of this store, yet cannot be checked against a
// guess by anyone who has only a report: the salt never leaves the store.
func (s *Store) SecretSalt(ctx context.Context) ([]byte, error) {
	if err := s.use(); err != nil {
		return nil, fmt.Errorf("read secret salt: %w", err)
	}
	defer s.mu.RUnlock()
	var salt []byte
	err := s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(keySalt)
		if err == nil {
			salt, err = item.ValueCopy(nil)
			return err
		}
		if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		salt = make([]byte, saltSize)
		if _, err := rand.Read(salt); err != nil {
			return err
		}
		return txn.Set(keySalt, salt)
	})
	if err != nil {
		return nil, fmt.Errorf("read secret salt of store %s: %w", s.dir, err)
	}
	if len(salt) != saltSize {
		return nil, fmt.Errorf("store %s: %w: secret salt has %d bytes, want %d", s.dir, ErrCorrupt, len(salt), saltSize)
	}
	return salt, nil
}
