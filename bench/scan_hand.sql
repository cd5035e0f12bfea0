-- The SZ-MT Art. 13 numeric triggers of one month, written by hand for plain
-- sqlite3 over the raw rows of expense_record (the baseline of bench/scan.py).
-- Thresholds of the Shenzhen pack (data/policies/shenzhen-2008.toml), in fen
-- and visits; times are the stored integer seconds (core.models.storage).
-- Parameters: :month_start :visits_start :year_start :end (seconds).
-- visit_kind codes: 1 general outpatient, 2 major-disease outpatient, 3 emergency.
--
-- One row per enrollee over a threshold: e, name, scheme, visits_month,
-- visits_3months, cost_month, general_year, outpatient_year, tumour,
-- dialysis, kidney (0 where not computed); bench/scan.py turns it into hits.

-- visits: one per instant; a visit more than 4 h (14400 s) after the previous
-- one starts a chain and counts; visits within 4 h of their chain's start never
-- count; the rest are walked in order against the last counted visit.
WITH v AS (
    SELECT enrollee_id AS e, occurred_at AS t, occurred_at >= :month_start AS in_month,
           occurred_at - lag(occurred_at) OVER (PARTITION BY enrollee_id ORDER BY occurred_at) AS gap
    FROM expense_record
    WHERE visit_kind = 1 AND occurred_at >= :visits_start AND occurred_at < :end
    GROUP BY enrollee_id, occurred_at
),
c AS (
    SELECT e, t, in_month, gap IS NULL OR gap > 14400 AS is_start,
           max(CASE WHEN gap IS NULL OR gap > 14400 THEN t END)
               OVER (PARTITION BY e ORDER BY t ROWS UNBOUNDED PRECEDING) AS cs
    FROM v
),
late AS (
    SELECT e, cs, t, in_month, row_number() OVER (PARTITION BY e, cs ORDER BY t) AS rn
    FROM c WHERE t - cs > 14400
),
walk(e, cs, rn, last, in_month, counted) AS (
    SELECT e, cs, rn, t, in_month, 1 FROM late WHERE rn = 1
    UNION ALL
    SELECT l.e, l.cs, l.rn, CASE WHEN l.t - w.last > 14400 THEN l.t ELSE w.last END, l.in_month,
           l.t - w.last > 14400
    FROM walk w JOIN late l ON l.e = w.e AND l.cs = w.cs AND l.rn = w.rn + 1
),
visits AS (
    SELECT e, sum(in_month) AS vm, count(*) AS v3
    FROM (SELECT e, in_month FROM c WHERE is_start UNION ALL SELECT e, in_month FROM walk WHERE counted)
    GROUP BY e
    HAVING sum(in_month) > 15 OR count(*) > 30
),
costs AS (
    SELECT enrollee_id AS e,
           sum(CASE WHEN occurred_at >= :month_start THEN amount_fen ELSE 0 END) AS cm,
           sum(CASE WHEN visit_kind = 1 THEN amount_fen ELSE 0 END) AS gy,
           sum(amount_fen) AS oy,
           sum(CASE WHEN occurred_at >= :month_start AND disease_code = 'MD-II-03' THEN amount_fen ELSE 0 END) AS tu,
           sum(CASE WHEN occurred_at >= :month_start AND disease_code = 'MD-II-01' THEN amount_fen ELSE 0 END) AS di,
           sum(CASE WHEN occurred_at >= :month_start AND disease_code = 'MD-II-02' THEN amount_fen ELSE 0 END) AS tr
    FROM expense_record
    WHERE visit_kind IN (1, 2, 3) AND occurred_at >= :year_start AND occurred_at < :end
    GROUP BY enrollee_id
),
cost_hits AS (
    SELECT c.e, en.scheme, c.cm, c.gy, c.oy, c.tu, c.di,
           CASE WHEN c.tr > 1500000 AND EXISTS (
               SELECT 1 FROM certificate k WHERE k.enrollee_id = c.e AND k.disease_code = 'MD-II-02'
               AND k.organ = 'kidney' AND k.confirmed_on IS NOT NULL) THEN c.tr ELSE 0 END AS ki
    FROM costs c JOIN enrollee en ON en.id = c.e
    WHERE c.cm > 600000 OR c.gy > 2000000 OR (en.scheme = 'inpatient' AND c.oy > 80000)
       OR c.tu > 1000000 OR c.di > 1500000 OR c.tr > 1500000
)
SELECT e, vm, v3, NULL, NULL, NULL, NULL, NULL, NULL, NULL FROM visits
UNION ALL
SELECT e, NULL, NULL, cm, gy, CASE WHEN scheme = 'inpatient' THEN oy END, tu, di, ki, scheme FROM cost_hits
