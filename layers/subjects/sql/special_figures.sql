-- Figures of special grids for their map tooltips (subjects.selectors.special_grid_figures): addresses and households of the Address
-- points inside each (the addresses layer keeps addresses_addressspecialgrid current), and the
-- geodesic area in m². Only addresses in the user's scope count (%(everything)s, or a micro-grid
-- whose path starts with one of %(patterns)s): a special grid may reach past a grid head's
-- micro-grids, and what lies beyond is not theirs to see, not even as a total.
-- Why SQL: one grouped pass over the link table for every special grid at once, and ST_Area
-- over geography (true m² on the ellipsoid) has no ORM spelling that the GeoDataFrame path
-- could reuse without a second query per grid.
SELECT g.id,
       COALESCE(f.addresses, 0) AS addresses,
       COALESCE(f.households, 0) AS households,
       round(ST_Area(g.geometry::geography))::bigint AS area_m2
FROM grids_grid g
LEFT JOIN (
    SELECT l.grid_id, count(*) AS addresses, sum(a.households) AS households
    FROM addresses_addressspecialgrid l
    JOIN addresses_address a ON a.id = l.address_id
    LEFT JOIN grids_grid ag ON ag.id = a.grid_id
    WHERE l.grid_id = ANY(%(ids)s)
      AND (%(everything)s OR ag.path LIKE ANY(%(patterns)s))
    GROUP BY l.grid_id
) f ON f.grid_id = g.id
WHERE g.id = ANY(%(ids)s)
