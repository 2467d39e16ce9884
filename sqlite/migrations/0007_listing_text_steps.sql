-- The index keeps a listing's search text in the column of its
-- completeness step, text_0 to text_100 (see searchindex textSteps): a search with text
-- and a completeness range then names the columns of its steps, rather than
-- intersect the text with a completeness facet, which at 70 and above is
-- held by a third of the listings. listing_text shows the listings as these
-- columns, the content that FTS5 checks its entries against.
DROP TABLE listing_search;

CREATE VIEW listing_text AS SELECT seq,
	iif(profile_completeness / 10 * 10 = 0, search_text, NULL) AS text_0,
	iif(profile_completeness / 10 * 10 = 10, search_text, NULL) AS text_10,
	iif(profile_completeness / 10 * 10 = 20, search_text, NULL) AS text_20,
	iif(profile_completeness / 10 * 10 = 30, search_text, NULL) AS text_30,
	iif(profile_completeness / 10 * 10 = 40, search_text, NULL) AS text_40,
	iif(profile_completeness / 10 * 10 = 50, search_text, NULL) AS text_50,
	iif(profile_completeness / 10 * 10 = 60, search_text, NULL) AS text_60,
	iif(profile_completeness / 10 * 10 = 70, search_text, NULL) AS text_70,
	iif(profile_completeness / 10 * 10 = 80, search_text, NULL) AS text_80,
	iif(profile_completeness / 10 * 10 = 90, search_text, NULL) AS text_90,
	iif(profile_completeness / 10 * 10 = 100, search_text, NULL) AS text_100,
	facets
FROM listings;

CREATE VIRTUAL TABLE listing_search USING fts5 (
	text_0,
	text_10,
	text_20,
	text_30,
	text_40,
	text_50,
	text_60,
	text_70,
	text_80,
	text_90,
	text_100,
	facets,
	content = 'listing_text', content_rowid = 'seq',
	tokenize = 'trigram case_sensitive 1'
);

INSERT INTO listing_search (rowid, text_0, text_10, text_20, text_30, text_40, text_50, text_60, text_70, text_80, text_90, text_100, facets)
	SELECT seq, text_0, text_10, text_20, text_30, text_40, text_50, text_60, text_70, text_80, text_90, text_100, facets FROM listing_text;
-- The migration's Go step lists every account again and then merges the
-- index into one segment (see searchindex.Backfill).
