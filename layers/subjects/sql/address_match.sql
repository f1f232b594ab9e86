-- Best standard address for a resident's free text (fallback when the addresses layer offers
-- no search selector). Why SQL: pg_trgm similarity; the ORM has it only via contrib.postgres.
SELECT a.id, a.full_text, a.grid_id,
       greatest(similarity(a.full_text, %(q)s), word_similarity(%(q)s, a.full_text)) AS score
FROM addresses_address a
WHERE a.full_text %% %(q)s OR %(q)s <%% a.full_text
ORDER BY score DESC, a.id
LIMIT 1
