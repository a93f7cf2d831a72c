package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// Sentinel errors; the store wraps them with what it was doing, so test with
// errors.Is.
var (
	// ErrNotFound: no committed snapshot, resource or assessment set by that id.
	ErrNotFound = errors.New("not found")
	// ErrLocked: another process (or another Store in this process) holds
	// the store directory.
	ErrLocked = errors.New("locked by another process")
	// ErrCorrupt: the directory is not a posture store, or its files are
	// damaged. Open refuses such a directory and leaves its files alone.
	ErrCorrupt = errors.New("corrupt or not a posture store")
	// ErrClosed: the Store was closed.
	ErrClosed = errors.New("store closed")
)

// formatVersion is stored under meta/format.
const formatVersion = "posture-store/1"

// DefaultBatchSize is how many resources a Writer buffers before it writes
// them, when Options.BatchSize is zero.
const DefaultBatchSize = 1000

// Options configure a Store. The zero value is usable.
type Options struct {
	// Now stamps snapshot ids, start and finish times. Defaults to time.Now.
	Now func() time.Time
	// BatchSize is how many resources a Writer buffers before writing them.
	// Defaults to DefaultBatchSize.
	BatchSize int
	// Logger receives Badger's errors and warnings (its informational
	// messages at debug level) and the store's own housekeeping notes. Nil
	// discards them all.
	Logger *slog.Logger
}

// Store is an open posture store. Its methods are safe for concurrent use.
type Store struct {
	dir       string
	now       func() time.Time
	batchSize int
	log       *slog.Logger

	mu     sync.RWMutex // held for reading by every operation, for writing by Close
	closed bool
	db     *badger.DB

	maint sync.Mutex // serialises Retain and PutAssessments
}

// DefaultDir is where the store lives unless the user says otherwise:
// $XDG_DATA_HOME/posture/store (~/.local/share/posture/store) on Linux and
// other Unix systems, ~/Library/Application Support/posture/store on macOS,
// %LocalAppData%\posture\store on Windows. The store gets a directory of its
// own because Badger owns every file in it.
func DefaultDir() (string, error) {
	var base string
	switch runtime.GOOS {
	case "windows":
		base = os.Getenv("LocalAppData")
		if base == "" {
			d, err := os.UserConfigDir()
			if err != nil {
				return "", fmt.Errorf("default store directory: %w", err)
			}
			base = d
		}
	case "darwin", "ios":
		d, err := os.UserConfigDir()
		if err != nil {
			return "", fmt.Errorf("default store directory: %w", err)
		}
		base = d
	default:
		// The XDG spec says to ignore a relative XDG_DATA_HOME.
		if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
			base = d
		} else {
			home, err := os.UserHomeDir()
			if err != nil {
				return "", fmt.Errorf("default store directory: %w", err)
			}
			base = filepath.Join(home, ".local", "share")
		}
	}
	return filepath.Join(base, "posture", "store"), nil
}

// Open opens the store in dir, creating the directory and an empty store
// when dir does not exist or is empty. It refuses, with an error naming dir,
// a directory held by another process (ErrLocked) and one that holds
// something other than a posture store or a damaged one (ErrCorrupt); it
// never deletes or rewrites files it did not create.
//
// Open deletes the data of snapshots that were begun but neither committed
// nor aborted: with the directory locked, their writer is gone.
func Open(dir string, opts Options) (*Store, error) {
	if dir == "" {
		return nil, errors.New("open store: no directory given")
	}
	if err := prepareDir(dir); err != nil {
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	s := &Store{dir: dir, now: opts.Now, batchSize: opts.BatchSize, log: opts.Logger}
	if s.now == nil {
		s.now = time.Now
	}
	if s.batchSize <= 0 {
		s.batchSize = DefaultBatchSize
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}

	bo := badger.DefaultOptions(dir).
		WithLogger(badgerLogger{s.log}).
		WithNumVersionsToKeep(1).
		// Sized for a CLI or a small daemon, not a database server: the
		// defaults reserve hundreds of megabytes of memory.
		WithMemTableSize(16 << 20).
		WithNumMemtables(2).
		WithBlockCacheSize(32 << 20).
		WithValueLogFileSize(64 << 20).
		WithNumCompactors(2).
		WithCompactL0OnClose(true)
	db, err := badger.Open(bo)
	if err != nil {
		return nil, classifyOpenError(dir, err)
	}
	s.db = db
	if err := s.checkFormat(); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	if err := s.collectPending(context.Background()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open store %s: %w", dir, err)
	}
	return s, nil
}

// markerFile marks a directory as a posture store. Open looks for it
// before Badger touches the directory: opening a directory with Badger
// rewrites its MANIFEST and deletes tables it does not know, which must not
// happen to the user's files or another program's database.
const markerFile = "POSTURE-STORE"

// prepareDir creates dir when missing, stamps an empty directory as a
// store, and refuses any other directory without the stamp.
func prepareDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		return writeMarker(dir)
	case err != nil:
		return err
	case !fi.IsDir():
		return fmt.Errorf("%w: not a directory", ErrCorrupt)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var names []string
	for _, e := range entries {
		if e.Name() == markerFile {
			return nil
		}
		names = append(names, e.Name())
	}
	switch {
	case len(names) == 0:
		return writeMarker(dir)
	case slices.Contains(names, "MANIFEST"):
		return fmt.Errorf("%w: a Badger database without a %s file, left untouched", ErrCorrupt, markerFile)
	default:
		if len(names) > 3 {
			names = append(names[:3], "…")
		}
		return fmt.Errorf("%w: directory is not empty (holds %s) and has no %s file; choose a new or empty directory",
			ErrCorrupt, strings.Join(names, ", "), markerFile)
	}
}

func writeMarker(dir string) error {
	return os.WriteFile(filepath.Join(dir, markerFile), []byte(formatVersion+"\n"), 0o600)
}

// classifyOpenError turns badger.Open's error into one naming dir. Badger
// flattens its errors into text (y.Wrap uses %+v), so the lock is
// recognised by its message.
func classifyOpenError(dir string, err error) error {
	msg := err.Error()
	switch {
	case strings.Contains(msg, "Cannot acquire directory lock"):
		// Badger writes the holder's pid into LOCK.
		holder := "another Badger user holds its flock"
		if b, err := os.ReadFile(filepath.Join(dir, "LOCK")); err == nil {
			if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
				holder = fmt.Sprintf("held by pid %d", pid)
			}
		}
		return fmt.Errorf("open store %s: %w (%s)", dir, ErrLocked, holder)
	case environmental(msg):
		return fmt.Errorf("open store %s: %s", dir, firstLine(msg))
	case looksCorrupt(msg):
		return fmt.Errorf("open store %s: %w: %s", dir, ErrCorrupt, firstLine(msg))
	default:
		// Permission, full disk, read-only file system, too many open
		// files: the store is fine, the environment is not. Never call
		// these corrupt, or an operator may delete a healthy history.
		return fmt.Errorf("open store %s: %s", dir, firstLine(msg))
	}
}

// environmental recognises operating-system errors that say nothing about
// the store's own files (they may name one, such as MANIFEST).
func environmental(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"permission denied", "no space left", "read-only file system", "too many open files",
		"disk quota exceeded", "operation not permitted"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// looksCorrupt recognises Badger's messages about damaged files.
func looksCorrupt(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"manifest", "checksum", "magic", "corrupt", "truncat", "unexpected eof", "invalid table", "bad table"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// firstLine keeps Badger's message and drops the stack trace that %+v
// appends to it.
func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

// checkFormat stamps a new, empty database as a posture store, and refuses
// a Badger database written by something else or by a newer posture.
func (s *Store) checkFormat() error {
	return s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(keyFormat)
		if errors.Is(err, badger.ErrKeyNotFound) {
			it := txn.NewIterator(badger.IteratorOptions{})
			it.Rewind()
			empty := !it.Valid()
			var first string
			if !empty {
				first = string(it.Item().Key())
			}
			it.Close()
			if !empty {
				return fmt.Errorf("%w: a Badger database without %s (first key %q)", ErrCorrupt, keyFormat, first)
			}
			return txn.Set(keyFormat, []byte(formatVersion))
		}
		if err != nil {
			return err
		}
		v, err := item.ValueCopy(nil)
		if err != nil {
			return err
		}
		if string(v) != formatVersion {
			return fmt.Errorf("%w: format %q, this posture reads %q", ErrCorrupt, v, formatVersion)
		}
		return nil
	})
}

// collectPending deletes the data of snapshots left pending by a dead
// process.
func (s *Store) collectPending(ctx context.Context) error {
	var ids []string
	err := s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixPend})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			ids = append(ids, string(it.Item().Key()[len(prefixPend):]))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("list unfinished snapshots: %w", err)
	}
	for _, id := range ids {
		n, err := s.dropSnapshotData(ctx, id)
		if err != nil {
			return fmt.Errorf("remove unfinished snapshot %s: %w", id, err)
		}
		s.log.Info("store: removed unfinished snapshot", "snapshot", id, "keys", n)
	}
	return nil
}

// Dir is the directory the store was opened in.
func (s *Store) Dir() string { return s.dir }

// Close waits for running operations and closes the store. Writers that were
// not committed stay uncommitted: their data is removed by the next Open.
// Closing twice is not an error.
func (s *Store) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store %s: %w", s.dir, err)
	}
	return nil
}

// use takes the read side of the Store's lock for one operation; callers
// defer s.mu.RUnlock when it returns nil.
func (s *Store) use() error {
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	return nil
}

// getJSON reads key into v; badger.ErrKeyNotFound is passed through.
func getJSON(txn *badger.Txn, key []byte, v any) error {
	item, err := txn.Get(key)
	if err != nil {
		return err
	}
	return decode(item, v)
}

// badgerLogger hands Badger's messages to slog: errors and warnings as
// such, its chatty informational lines at debug level.
type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any) { b.l.Error(b.msg(f, a)) }
func (b badgerLogger) Warningf(f string, a ...any) {
	b.l.Warn(b.msg(f, a))
}
func (b badgerLogger) Infof(f string, a ...any)  { b.l.Debug(b.msg(f, a)) }
func (b badgerLogger) Debugf(f string, a ...any) { b.l.Debug(b.msg(f, a)) }

func (badgerLogger) msg(f string, a []any) string {
	return "badger: " + strings.TrimSpace(fmt.Sprintf(f, a...))
}
