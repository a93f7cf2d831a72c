package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/posture-dev/posture/internal/feeds"
	"github.com/posture-dev/posture/internal/store"
)

// feedsOptions are the flags of `posture feeds update`.
type feedsOptions struct {
	From    []string
	KEVURL  string
	EPSSURL string
	// Force stores a copy dated before the stored one, with fewer than 90 %
	// of its entries, or a plain EPSS CSV under feeds.MinEPSSRows rows.
	Force bool
	// Insecure allows plain http downloads from hosts other than loopback.
	Insecure bool
	// Client downloads; tests give one that trusts their server.
	Client *feeds.Client
}

// NewFeedsCommand builds `posture feeds update|show`.
func NewFeedsCommand(g *Global) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "feeds",
		Short: "Keep the exploitation feeds (CISA KEV, FIRST EPSS) in the store",
	}
	opts := feedsOptions{}
	update := &cobra.Command{
		Use:   "update",
		Short: "Download the KEV catalogue and the EPSS daily scores (or read them with --from) into the store",
		Long: `Download the CISA Known Exploited Vulnerabilities catalogue and the FIRST EPSS
daily scores and store each, dated, replacing the stored copy of that feed.
With --from, read feed files instead (JSON or CSV, gzipped or not; which feed
a file holds is told by its content) and download nothing. A feed that fails
to download or parse is not stored, and the copy already stored stays.

A copy dated before the stored one, or holding fewer than 90 % of its
entries, is refused and the stored copy stays; so is an uncompressed EPSS CSV
without its model_version or with fewer than 1000 rows (a whole day has about
300,000, and only gzip proves a file whole). --force stores such a copy.
Downloads must use https, except from a loopback host; --insecure allows
plain http.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.OpenStore()
			if err != nil {
				return err
			}
			defer st.Close()
			return updateFeeds(cmd.Context(), st, opts, g.Out, g.Now)
		},
	}
	update.Flags().StringArrayVar(&opts.From, "from", nil, "read a feed file instead of downloading (repeatable; KEV JSON or EPSS CSV, .gz accepted)")
	update.Flags().StringVar(&opts.KEVURL, "kev-url", feeds.DefaultKEVURL, "where to download the KEV catalogue")
	update.Flags().StringVar(&opts.EPSSURL, "epss-url", feeds.DefaultEPSSURL, "where to download the EPSS daily CSV")
	update.Flags().BoolVar(&opts.Force, "force", false, "store a copy even if it is older than the stored one, under 90 % of its entries, or a plain EPSS CSV under 1000 rows")
	update.Flags().BoolVar(&opts.Insecure, "insecure", false, "allow plain http downloads from hosts other than loopback")

	var asJSON bool
	show := &cobra.Command{
		Use:   "show",
		Short: "Show each stored feed's date, age and size",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			st, err := g.OpenStore()
			if err != nil {
				return err
			}
			defer st.Close()
			infos, err := st.Feeds(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				if infos == nil {
					infos = []store.FeedInfo{}
				}
				return printJSON(g, infos)
			}
			return printFeeds(g.Out, infos, g.Now())
		},
	}
	show.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(update, show)
	return cmd
}

// updateFeeds reads or downloads each feed and stores the ones that parse.
// Every feed is tried; the error names each that failed, and a feed that
// failed keeps its stored copy.
func updateFeeds(ctx context.Context, st *store.Store, opts feedsOptions, out io.Writer, now func() time.Time) error {
	var got []feeds.Feed
	var errs []error
	if len(opts.From) > 0 {
		seen := map[feeds.Source]string{}
		for _, path := range opts.From {
			f, err := feeds.ReadFile(path)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			if prev, ok := seen[f.Source()]; ok {
				return usageError("--from %s and --from %s both hold the %s feed; give one", prev, path, f.Source())
			}
			seen[f.Source()] = path
			got = append(got, f)
		}
	} else {
		c := feeds.Client{}
		if opts.Client != nil {
			c = *opts.Client
		}
		c.Insecure = c.Insecure || opts.Insecure
		for _, d := range []struct {
			src feeds.Source
			url string
		}{{feeds.KEV, opts.KEVURL}, {feeds.EPSS, opts.EPSSURL}} {
			f, err := c.Fetch(ctx, d.src, d.url)
			if err != nil {
				errs = append(errs, err)
				continue
			}
			got = append(got, f)
		}
	}
	const override = "give --force to store it anyway"
	put := store.FeedPut{Force: opts.Force}
	for _, f := range got {
		if !opts.Force {
			if err := feeds.Plausible(f); err != nil {
				errs = append(errs, fmt.Errorf("%s from %s: %w; %s", f.Source(), feedOrigin(f), err, override))
				continue
			}
		}
		prev, prevErr := st.FeedInfo(ctx, f.Source())
		var info store.FeedInfo
		var err error
		switch f := f.(type) {
		case *feeds.KEVCatalog:
			info, err = st.PutKEV(ctx, f, put)
		case *feeds.EPSSScores:
			info, err = st.PutEPSS(ctx, f, put)
		default:
			err = fmt.Errorf("feed %s: not storable", f.Source())
		}
		if errors.Is(err, store.ErrFeedRegressed) {
			err = fmt.Errorf("%w, from %s; %s", err, feedOrigin(f), override)
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fmt.Fprintf(out, "%s %s dated %s: %d entries from %s\n", info.Source, info.Version, info.Date.Format(time.DateOnly), info.Count, info.Origin)
		if prevErr == nil && info.Date.Before(prev.Date) {
			fmt.Fprintf(out, "  note: forced: this copy is older than the one it replaced (dated %s)\n", prev.Date.Format(time.DateOnly))
		}
		if prevErr == nil && float64(info.Count) < store.MinFeedShare*float64(prev.Count) {
			fmt.Fprintf(out, "  note: forced: this copy has %d entries, the one it replaced %d\n", info.Count, prev.Count)
		}
	}
	if len(errs) > 0 {
		msgs := make([]string, len(errs))
		for i, err := range errs {
			msgs[i] = err.Error()
		}
		return fmt.Errorf("feeds update: %s; the stored copy of a feed that failed is kept", strings.Join(msgs, "; "))
	}
	return nil
}

// feedOrigin is where a parsed feed came from.
func feedOrigin(f feeds.Feed) string {
	switch f := f.(type) {
	case *feeds.KEVCatalog:
		return f.Origin
	case *feeds.EPSSScores:
		return f.Origin
	}
	return "?"
}

// printFeeds writes one line per feed; a feed not stored says so.
func printFeeds(w io.Writer, infos []store.FeedInfo, now time.Time) error {
	byName := map[feeds.Source]store.FeedInfo{}
	for _, f := range infos {
		byName[f.Source] = f
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "FEED\tVERSION\tDATE\tAGE\tENTRIES\tFETCHED\tFROM")
	for _, src := range feeds.Sources() {
		f, ok := byName[src]
		if !ok {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t0\t-\tnot stored: run posture feeds update\n", src)
			continue
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%dd\t%d\t%s\t%s\n", f.Source, f.Version, f.Date.Format(time.DateOnly),
			f.AgeDays(now), f.Count, f.Fetched.UTC().Format(time.RFC3339), f.Origin)
	}
	return tw.Flush()
}
