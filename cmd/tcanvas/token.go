package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/tcanvas/tcanvas/internal/statedir"
	"github.com/tcanvas/tcanvas/net/session"
	"github.com/tcanvas/tcanvas/net/wire"
	"github.com/tcanvas/tcanvas/ui"
)

const tokenUsage = `usage:
  tcanvas token mint ROOM_URL [--role editor|viewer|owner]   mint an invite token and print its link
  tcanvas token list ROOM_URL                                list the room's live tokens
  tcanvas token revoke ROOM_URL TOKEN_ID                     revoke one; those who joined with it lose its role at once

The owner token is the ROOM_URL's ?token=, or the one kept for the room
when you created it with tcanvas.
`

// tokenCmd manages a room's invite tokens as its owner.
func tokenCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, tokenUsage)
		return errors.New("token: want mint, list or revoke")
	}
	verb := args[0]
	fs := flag.NewFlagSet("token "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, tokenUsage); fs.PrintDefaults() }
	role := fs.String("role", "editor", "mint: the role the token grants")
	timeout := fs.Duration("timeout", 10*time.Second, "how long to wait for the authority")
	pos, err := parseInterleaved(fs, args[1:])
	if err != nil {
		return err
	}
	want := map[string]int{"mint": 1, "list": 1, "revoke": 2}[verb]
	if want == 0 {
		fs.Usage()
		return fmt.Errorf("token: unknown verb %q: want mint, list or revoke", verb)
	}
	if len(pos) != want {
		fs.Usage()
		return fmt.Errorf("token %s: want %d arguments, got %d", verb, want, len(pos))
	}
	l, err := wire.ParseLink(pos[0])
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	tokens := statedir.OwnerTokens(statedir.Dir())
	if l.Token == "" {
		if l.Token, err = tokens.Get(l.Base, l.Room); err != nil {
			return fmt.Errorf("token: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	sess, err := session.Dial(ctx, l.String(), session.Options{Name: "token", Bot: true, NoMesh: true, MaxBackoff: time.Second,
		// Listing or revoking in a room that does not exist must not create
		// it; minting may (a private room made from the command line).
		Existing: verb != "mint"})
	if err != nil {
		return fmt.Errorf("token: %w", err)
	}
	defer sess.Close()
	info := sess.Info()
	if info.Token != "" {
		// The room did not exist: joining created it, and we own it now.
		tokens.Set(l.Base, l.Room, info.Token)
		fmt.Fprintf(stderr, "tcanvas: room %s did not exist: it was created, and you own it (the owner token is kept in %s)\n", l.Room, statedir.Dir())
	}
	if info.Role != wire.RoleOwner {
		return fmt.Errorf("token: you are %s in room %s, and only its owner manages tokens: give the owner's link (…?token=) or run this where the room was created", info.Role, l.Room)
	}
	switch verb {
	case "mint":
		r := wire.Role(*role)
		if !r.Valid() {
			return fmt.Errorf("token mint: --role %q: want editor, viewer or owner", *role)
		}
		err = sess.Mint(r, "cli")
	case "list":
		err = sess.ListTokens("cli")
	case "revoke":
		err = sess.Revoke(pos[1], "cli")
	}
	if err != nil {
		return fmt.Errorf("token %s: %w", verb, err)
	}
	for {
		select {
		case ev := <-sess.Events():
			switch ev := ev.(type) {
			case session.Token:
				inv := ui.InviteLinks(l.Base, l.Room, ev.Token)
				fmt.Fprintf(stdout, "%s token %s for room %s:\n  %s\n  %s\n", ev.Role, ev.ID, l.Room, inv.Command, inv.URL)
				return nil
			case session.Tokens:
				tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tROLE\tCREATED")
				for _, t := range ev.Tokens {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", t.ID, t.Role, time.UnixMilli(t.Created).UTC().Format(time.RFC3339))
				}
				return tw.Flush()
			case session.TokenRevoked:
				fmt.Fprintf(stdout, "revoked token %s in room %s\n", ev.ID, l.Room)
				return nil
			case session.Error:
				return fmt.Errorf("token %s: %s", verb, strings.TrimPrefix(ev.Reason, verb+": "))
			}
		case <-sess.Done():
			return fmt.Errorf("token %s: the session ended: %v", verb, sess.Err())
		case <-ctx.Done():
			return fmt.Errorf("token %s: no answer from the authority within %s", verb, *timeout)
		}
	}
}
