// Package searchindex is the SQLite store's search engine: what a user
// search reads, kept in the store's own transactions, and the planner that
// turns an accountd.SearchQuery into a count and a page of account ids.
// The store calls it through a narrow interface: Changes.Note for every
// account a transaction changes, Changes.NewSeq for a new account's key,
// Changes.Write before commit, and NewPlan, Plan.Count and Plan.Page in a
// search. It runs SQL through Conn, the store's transaction, so an index
// change commits or rolls back with the change that caused it, and a
// search reads its total and its page in one snapshot.
//
// # What it keeps
//
// The tables are created by the store's migrations (4 to 7 of
// sqlite/migrations); the index reads the store's accounts, account_tags,
// tags and bookmarks, and writes only its own:
//
//   - listings: one row per listed account (live, not private), keyed by
//     seq, which orders accounts as the default sort does (created_at, then
//     id) in one integer, so that the newest page is a walk of the key.
//     A listing holds what searches filter and sort on: role,
//     completeness, score, owner, the search text and the facets.
//   - listing_search: an FTS5 trigram index of the listings, whose rowid is
//     seq. Any substring of three characters or more is a phrase query,
//     and FTS5 yields its matches in rowid order, so a search with text
//     stops at its page instead of sorting every match. The search text
//     sits in one of eleven columns, text_0 to text_100, by completeness
//     step: a search with text and a completeness range names the columns
//     of its steps instead of intersecting with a facet that a third of
//     the listings hold. Tags, role and completeness steps are facets,
//     each one trigram of Private Use Area characters in the facets column
//     (facet.go), so one FTS5 walk filters text and facets together.
//   - listing_counts: the number of listings per role and completeness, the
//     total of a search that filters on nothing else.
//   - listing_bits: for each facet and each trigram of search text, a
//     Roaring bitmap of the slots of the listings that hold it, 65,536
//     slots to a row (bits.go). A slot is an account's dense, permanent
//     number. Counting through FTS5 decodes every entry of every term
//     named, about 30 ns each, milliseconds per common term at a million
//     accounts; a bitmap intersection is microseconds.
//
// Changes are written once per transaction, whatever the number of changes
// to an account (Changes.Write): FTS5 writes a segment whenever a later
// statement of the transaction may need rolling back on its own, so the
// entries come and go in one statement each.
//
// # Which query uses which
//
// The page:
//   - newest or oldest first, with text of three characters or more, tags
//     or a completeness range (a facet), and a role beside any of them:
//     the FTS5 match, walked in rowid order;
//   - by completeness or score with those filters: the sort's index on
//     listings, each row checked against the set of matching seqs;
//   - a role alone: the listings_role index; an owner: listings_owner; no
//     filter: the listings key; text of one or two characters (no trigram):
//     listings read in order, the text checked with instr.
//
// The total:
//   - every filter one term (tags, role, completeness, text of exactly
//     three characters), with tags or text among them: the bitmaps;
//   - only role and completeness: listing_counts;
//   - otherwise: the FTS5 match count, or a count of the listings the
//     conditions keep.
//
// A search's pages are of one moment, its asOf: only seqs before asOf's
// millisecond count. The bitmaps and listing_counts also hold what came
// later, so those totals subtract the few listings created since, which
// the index finds from their seq.
//
// Each part is here for a figure of the search benchmark (accountd-bench
// --loads search): at a million accounts, every query's p99 under 20 ms, and at
// most twice its p99 at a hundred thousand. TestSearchUsesIndexes checks
// that no plan reads every listing; TestPlansAgreeWithTheListings checks
// every strategy against an answer worked out from the accounts.
package searchindex
