-- Fuzzy address search: trigram similarity of the normalised text (pg_trgm; the ORM has
-- TrigramSimilarity only with django.contrib.postgres, and the answer carries each match's
-- grid chain as JSON in the same round trip). word_similarity lets a short query (a lane and
-- number without the road) still find the full address; the GIN index serves `%%` and `<%%`.
SELECT json_build_object(
    'id', a.id, 'full_text', a.full_text, 'score', round(m.score::numeric, 3), 'kind', a.kind,
    'households', a.households, 'lon', ST_X(a.geometry), 'lat', ST_Y(a.geometry),
    'near_boundary', a.near_boundary,
    'grid', CASE WHEN g.id IS NOT NULL THEN json_build_object('id', g.id, 'code', g.code, 'name', g.name, 'level', g.level) END,
    'chain', (SELECT json_agg(json_build_object('id', c.id, 'code', c.code, 'name', c.name, 'level', c.level)
                              ORDER BY c.level DESC)
              FROM grids_grid c WHERE c.id = ANY(string_to_array(trim(both '/' from g.path), '/')::bigint[])))::text
FROM (
    SELECT a.id, greatest(similarity(a.search_key, %(key)s), word_similarity(%(key)s, a.search_key)) AS score
    FROM addresses_address a
    WHERE a.search_key %% %(key)s OR %(key)s <%% a.search_key
    ORDER BY score DESC, a.id
    LIMIT %(limit)s
) m
JOIN addresses_address a ON a.id = m.id
LEFT JOIN grids_grid g ON g.id = a.grid_id
WHERE m.score >= %(min_score)s
ORDER BY m.score DESC, a.id
