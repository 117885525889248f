-- Comparing two versions of an artifact in the database: BOMs part by part with the cost delta,
-- other JSON leaf by leaf, text line by line (unified-diff hunks).

-- The leaves of a JSON document (scalars, empty objects and arrays) with their paths, written as
-- in validation errors (content_json.components[0].name, content_json["odd key"]); sort_key orders
-- them as in the document.
create function private.json_leaves(doc jsonb, root text default 'content_json')
returns table (path text, value jsonb, sort_key text[])
language sql
immutable
parallel safe
set search_path = ''
as $$
  with recursive walk (path, value, sort_key) as (
    select root, doc, array[]::text[]
    union all
    select w.path || c.step, c.value, w.sort_key || c.sort_step
    from walk w
    cross join lateral (
      select case when e.key ~ '^[A-Za-z_][A-Za-z0-9_]*$' then '.' || e.key else '[' || to_jsonb(e.key)::text || ']' end,
        e.value, e.key
      from jsonb_each(case when jsonb_typeof(w.value) = 'object' then w.value end) e
      union all
      select '[' || (e.ordinality - 1) || ']', e.value, lpad((e.ordinality - 1)::text, 10, '0')
      from jsonb_array_elements(case when jsonb_typeof(w.value) = 'array' then w.value end) with ordinality e
    ) c (step, value, sort_step)
  )
  select w.path, w.value, w.sort_key
  from walk w
  where jsonb_typeof(w.value) not in ('object', 'array') or w.value in ('{}'::jsonb, '[]'::jsonb)
$$;
grant execute on function private.json_leaves(jsonb, text) to authenticated, service_role;

-- Leaf-level diff of two JSON documents: {added: [{path, value}], removed: [{path, value}],
-- changed: [{path, old, new}]}, in document order. Arrays are compared position by position; an
-- emptied object or array shows as the removal of what it held.
create function private.diff_json(old_doc jsonb, new_doc jsonb, root text default 'content_json')
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
  with o as (select * from private.json_leaves(coalesce(old_doc, 'null'::jsonb), root) where old_doc is not null),
  n as (select * from private.json_leaves(coalesce(new_doc, 'null'::jsonb), root) where new_doc is not null),
  pairs as (
    select coalesce(n.path, o.path) as path, coalesce(n.sort_key, o.sort_key) as sort_key, o.value as old, n.value as new
    from o full join n on n.path = o.path
    where o.value is distinct from n.value
      -- an empty object or array is a leaf only where the other side has nothing under it
      and not (o.value is null and n.value in ('{}'::jsonb, '[]'::jsonb) and exists (
        select 1 from o o2 where cardinality(o2.sort_key) > cardinality(n.sort_key)
          and o2.sort_key[1:cardinality(n.sort_key)] = n.sort_key))
      and not (n.value is null and o.value in ('{}'::jsonb, '[]'::jsonb) and exists (
        select 1 from n n2 where cardinality(n2.sort_key) > cardinality(o.sort_key)
          and n2.sort_key[1:cardinality(o.sort_key)] = o.sort_key))
  )
  select jsonb_build_object(
    'added', coalesce((select jsonb_agg(jsonb_build_object('path', p.path, 'value', p.new) order by p.sort_key)
      from pairs p where p.old is null), '[]'),
    'removed', coalesce((select jsonb_agg(jsonb_build_object('path', p.path, 'value', p.old) order by p.sort_key)
      from pairs p where p.new is null), '[]'),
    'changed', coalesce((select jsonb_agg(jsonb_build_object('path', p.path, 'old', p.old, 'new', p.new) order by p.sort_key)
      from pairs p where p.old is not null and p.new is not null), '[]')
  )
$$;
grant execute on function private.diff_json(jsonb, jsonb, text) to authenticated, service_role;

-- BOM: components are matched by part number (case-insensitive, when both sides have one), then by
-- name; the n-th duplicate matches the n-th. Parts added, removed and changed (each differing field)
-- with costs (quantity × unit_price) and totals per currency.
create function private.diff_bom(old_doc jsonb, new_doc jsonb)
returns jsonb
language sql
immutable
parallel safe
set search_path = ''
as $$
  with o as (
    select e.ordinality - 1 as pos, e.value as c, nullif(lower(btrim(e.value ->> 'part_number')), '') as pn,
      lower(btrim(e.value ->> 'name')) as nm, (e.value ->> 'quantity')::numeric * (e.value ->> 'unit_price')::numeric as cost,
      e.value ->> 'currency' as currency
    from jsonb_array_elements(old_doc -> 'components') with ordinality e
  ),
  n as (
    select e.ordinality - 1 as pos, e.value as c, nullif(lower(btrim(e.value ->> 'part_number')), '') as pn,
      lower(btrim(e.value ->> 'name')) as nm, (e.value ->> 'quantity')::numeric * (e.value ->> 'unit_price')::numeric as cost,
      e.value ->> 'currency' as currency
    from jsonb_array_elements(new_doc -> 'components') with ordinality e
  ),
  by_number as (
    select oo.pos as old_pos, nn.pos as new_pos
    from (select o.*, row_number() over (partition by o.pn order by o.pos) as nth from o where o.pn is not null) oo
    join (select n.*, row_number() over (partition by n.pn order by n.pos) as nth from n where n.pn is not null) nn
      on nn.pn = oo.pn and nn.nth = oo.nth
  ),
  by_name as (
    select oo.pos as old_pos, nn.pos as new_pos
    from (
      select o.*, row_number() over (partition by o.nm order by o.pos) as nth
      from o where o.pos not in (select b.old_pos from by_number b)
    ) oo
    join (
      select n.*, row_number() over (partition by n.nm order by n.pos) as nth
      from n where n.pos not in (select b.new_pos from by_number b)
    ) nn on nn.nm = oo.nm and nn.nth = oo.nth
  ),
  matched as (
    select m.old_pos, m.new_pos, o.c as old_c, n.c as new_c, o.cost as old_cost, n.cost as new_cost,
      o.currency as old_currency, n.currency as new_currency,
      (
        select coalesce(jsonb_agg(jsonb_build_object('field', k.key, 'old', o.c -> k.key, 'new', n.c -> k.key) order by k.key), '[]')
        from (select jsonb_object_keys(o.c) as key union select jsonb_object_keys(n.c)) k
        where (o.c -> k.key) is distinct from (n.c -> k.key)
      ) as changes
    from (select * from by_number union all select * from by_name) m
    join o on o.pos = m.old_pos
    join n on n.pos = m.new_pos
  ),
  currencies as (
    select coalesce(x.currency, y.currency) as currency, coalesce(x.total, 0) as old_total, coalesce(y.total, 0) as new_total
    from (select o.currency, sum(o.cost) as total from o group by o.currency) x
    full join (select n.currency, sum(n.cost) as total from n group by n.currency) y on y.currency = x.currency
  )
  select jsonb_build_object(
    'added', coalesce((
      select jsonb_agg(jsonb_build_object('position', n.pos, 'name', n.c ->> 'name', 'part_number', n.c -> 'part_number',
        'quantity', n.c -> 'quantity', 'unit_price', n.c -> 'unit_price', 'currency', n.currency, 'cost', n.cost,
        'component', n.c) order by n.pos)
      from n where n.pos not in (select m.new_pos from matched m)), '[]'),
    'removed', coalesce((
      select jsonb_agg(jsonb_build_object('position', o.pos, 'name', o.c ->> 'name', 'part_number', o.c -> 'part_number',
        'quantity', o.c -> 'quantity', 'unit_price', o.c -> 'unit_price', 'currency', o.currency, 'cost', o.cost,
        'component', o.c) order by o.pos)
      from o where o.pos not in (select m.old_pos from matched m)), '[]'),
    'changed', coalesce((
      select jsonb_agg(jsonb_build_object('name', m.new_c ->> 'name', 'part_number', m.new_c -> 'part_number',
        'old_position', m.old_pos, 'new_position', m.new_pos, 'changes', m.changes,
        'old_cost', m.old_cost, 'old_currency', m.old_currency, 'new_cost', m.new_cost, 'new_currency', m.new_currency,
        'cost_delta', case when m.old_currency = m.new_currency then m.new_cost - m.old_cost end) order by m.new_pos)
      from matched m where m.changes <> '[]'), '[]'),
    'unchanged_count', (select count(*) from matched m where m.changes = '[]'),
    'totals', coalesce((
      select jsonb_agg(jsonb_build_object('currency', c.currency, 'old_total', c.old_total, 'new_total', c.new_total,
        'delta', c.new_total - c.old_total) order by c.currency)
      from currencies c), '[]'),
    -- the cost delta as one number when every part is priced in one currency
    'cost_delta', (select case when count(*) = 1 then sum(c.new_total - c.old_total) end from currencies c),
    'other', case when (old_doc - 'components') is distinct from (new_doc - 'components')
      then private.diff_json(old_doc - 'components', new_doc - 'components') end
  )
$$;
grant execute on function private.diff_bom(jsonb, jsonb) to authenticated;

-- Myers' O((N+M)·D) shortest edit script over two arrays of line ids, within a budget of steps:
-- the change blocks as flattened [a_lo, a_hi, b_lo, b_hi, …] quadruples (0-based, half-open), in
-- order, or null when the budget runs out.
create function private.diff_myers(ka integer[], kb integer[], budget integer)
returns integer[]
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  n integer := coalesce(cardinality(ka), 0);
  m integer := coalesce(cardinality(kb), 0);
  max_d integer := n + m;
  off integer := n + m + 2;
  v integer[];
  trace integer[] := '{}';
  work bigint := 0;
  found_d integer := -1;
  d integer;
  k integer;
  x integer;
  y integer;
  prev_k integer;
  prev_x integer;
  prev_y integer;
  mid_x integer;
  base integer;
  blocks integer[] := '{}';
  nb integer := 0;
  cur boolean := false;
  c_a_lo integer;
  c_a_hi integer;
  c_b_lo integer;
  c_b_hi integer;
begin
  if n = 0 or m = 0 then
    return case when n + m = 0 then '{}'::integer[] else array[0, n, 0, m] end;
  end if;
  -- forward pass: v[k + off] is the furthest x reached on diagonal k
  v := array_fill(0, array[2 * max_d + 4]);
  <<search>>
  for dd in 0..max_d loop
    for kk in -dd..dd by 2 loop
      if kk = -dd or (kk <> dd and v[kk - 1 + off] < v[kk + 1 + off]) then
        x := v[kk + 1 + off];
      else
        x := v[kk - 1 + off] + 1;
      end if;
      y := x - kk;
      while x < n and y < m and ka[x + 1] = kb[y + 1] loop
        x := x + 1;
        y := y + 1;
        work := work + 1;
      end loop;
      v[kk + off] := x;
      work := work + 1;
      if x >= n and y >= m then
        found_d := dd;
        exit search;
      end if;
    end loop;
    -- keep v[-dd..dd] for the backtrack, at trace[dd² + kk + dd + 1]
    for kk in -dd..dd loop
      trace[dd * dd + kk + dd + 1] := v[kk + off];
    end loop;
    work := work + 2 * dd + 1;
    exit search when work > budget;
  end loop;
  if found_d < 0 then
    return null;
  end if;

  -- backtrack from (n, m): one edit per step; edits with no equal line between them form a block
  x := n;
  y := m;
  d := found_d;
  while d > 0 loop
    k := x - y;
    base := (d - 1) * (d - 1);
    if k = -d or (k <> d and trace[base + k - 1 + d] < trace[base + k + 1 + d]) then
      prev_k := k + 1;
    else
      prev_k := k - 1;
    end if;
    prev_x := trace[base + prev_k + d];
    prev_y := prev_x - prev_k;
    -- the edit ends at (mid_x, mid_x - k), where the equal lines up to (x, y) start
    mid_x := case when prev_k = k + 1 then prev_x else prev_x + 1 end;
    if cur and x = mid_x then
      c_a_lo := prev_x;
      c_b_lo := prev_y;
    else
      if cur then
        blocks[nb + 1] := c_a_lo; blocks[nb + 2] := c_a_hi; blocks[nb + 3] := c_b_lo; blocks[nb + 4] := c_b_hi;
        nb := nb + 4;
      end if;
      cur := true;
      c_a_lo := prev_x;
      c_b_lo := prev_y;
      c_a_hi := mid_x;
      c_b_hi := mid_x - k;
    end if;
    x := prev_x;
    y := prev_y;
    d := d - 1;
  end loop;
  if cur then
    blocks[nb + 1] := c_a_lo; blocks[nb + 2] := c_a_hi; blocks[nb + 3] := c_b_lo; blocks[nb + 4] := c_b_hi;
    nb := nb + 4;
  end if;
  -- collected last first: reverse the quadruples
  return array(
    select blocks[(q - 1) * 4 + c]
    from generate_series(nb / 4, 1, -1) q, generate_series(1, 4) c
    order by q desc, c);
end
$$;
comment on function private.diff_myers(integer[], integer[], integer) is
  'Myers shortest edit script between two arrays of line ids as flattened [a_lo, a_hi, b_lo, b_hi] change blocks, or null past the budget.';
grant execute on function private.diff_myers(integer[], integer[], integer) to authenticated, service_role;

-- The line diff: the common prefix and suffix trimmed, the middle diffed with Myers within 200,000
-- steps; past that, anchored on the lines that occur once in each text (as patience diff does),
-- each stretch between anchors diffed within 20,000 steps or else one replacement, and
-- "approximate": true. A last line without a newline is marked as git marks it.
create function private.diff_text(old_text text, new_text text)
returns jsonb
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  context constant integer := 3;
  la text[];
  lb text[];
  a_noeol boolean;
  b_noeol boolean;
  na integer;
  nb integer;
  pre integer := 0;
  suf integer := 0;
  n integer;
  m integer;
  ka integer[];
  kb integer[];
  blocks integer[];
  gap integer[];
  approximate boolean := false;
  anchors_a integer[];
  anchors_b integer[];
  -- longest increasing run of anchors (patience): tails, predecessor links
  tails integer[] := '{}';
  links integer[] := '{}';
  lo integer;
  hi integer;
  mid integer;
  chain integer[] := '{}';
  pa integer;
  pb integer;
  ca integer;
  cb integer;
  g_pre integer;
  g_suf integer;
  gap_work bigint := 0;
  blk_a_lo integer[] := '{}';
  blk_a_hi integer[] := '{}';
  blk_b_lo integer[] := '{}';
  blk_b_hi integer[] := '{}';
  nblk integer := 0;
  hunk_list jsonb[] := '{}';
  lines text[];
  nl integer;
  h_first integer;
  h_last integer;
  h_a_lo integer;
  h_a_hi integer;
  h_b_lo integer;
  h_b_hi integer;
  pos integer;
  added integer := 0;
  removed integer := 0;
  header text;
  i integer;
begin
  old_text := coalesce(old_text, '');
  new_text := coalesce(new_text, '');
  la := case when old_text = '' then '{}' else string_to_array(old_text, e'\n') end;
  lb := case when new_text = '' then '{}' else string_to_array(new_text, e'\n') end;
  a_noeol := old_text <> '' and right(old_text, 1) <> e'\n';
  b_noeol := new_text <> '' and right(new_text, 1) <> e'\n';
  if old_text <> '' and not a_noeol then
    la := la[1:cardinality(la) - 1];
  end if;
  if new_text <> '' and not b_noeol then
    lb := lb[1:cardinality(lb) - 1];
  end if;
  na := cardinality(la);
  nb := cardinality(lb);

  -- equal lines: same text and same end of line (only a last line may lack its newline)
  while pre < na and pre < nb and la[pre + 1] = lb[pre + 1]
    and (a_noeol and pre + 1 = na) = (b_noeol and pre + 1 = nb) loop
    pre := pre + 1;
  end loop;
  while suf < na - pre and suf < nb - pre and la[na - suf] = lb[nb - suf]
    and (a_noeol and suf = 0) = (b_noeol and suf = 0) loop
    suf := suf + 1;
  end loop;
  n := na - pre - suf;
  m := nb - pre - suf;
  if n = 0 and m = 0 then
    return jsonb_build_object('hunks', '[]'::jsonb, 'lines_added', 0, 'lines_removed', 0, 'approximate', false, 'unified', '');
  end if;

  -- the middle's lines as integer ids
  with l as (
    select 0 as side, u.i, u.line, (a_noeol and u.i = n and suf = 0) as noeol
    from unnest(la[pre + 1:pre + n]) with ordinality u (line, i)
    union all
    select 1, u.i, u.line, (b_noeol and u.i = m and suf = 0) from unnest(lb[pre + 1:pre + m]) with ordinality u (line, i)
  ),
  r as (select l.side, l.i, dense_rank() over (order by l.line collate "C", l.noeol)::integer as id from l)
  select coalesce(array_agg(r.id order by r.i) filter (where r.side = 0), '{}'),
    coalesce(array_agg(r.id order by r.i) filter (where r.side = 1), '{}')
  into ka, kb
  from r;

  blocks := private.diff_myers(ka, kb, 200000);
  if blocks is not null then
    nblk := cardinality(blocks) / 4;
    for q in 1..nblk loop
      blk_a_lo[q] := blocks[4 * q - 3];
      blk_a_hi[q] := blocks[4 * q - 2];
      blk_b_lo[q] := blocks[4 * q - 1];
      blk_b_hi[q] := blocks[4 * q];
    end loop;
  else
    approximate := true;
    -- anchors: lines once in each text, paired, in a-order
    select coalesce(array_agg(x.ai order by x.ai), '{}'), coalesce(array_agg(x.bi order by x.ai), '{}')
    into anchors_a, anchors_b
    from (
      select min(t.i) filter (where t.side = 0)::integer as ai, min(t.i) filter (where t.side = 1)::integer as bi
      from (
        select 0 as side, u.id, u.i from unnest(ka) with ordinality u (id, i)
        union all
        select 1, u.id, u.i from unnest(kb) with ordinality u (id, i)
      ) t
      group by t.id
      having count(*) filter (where t.side = 0) = 1 and count(*) filter (where t.side = 1) = 1
    ) x;
    -- longest run with increasing b (tails[len] = index of the anchor ending the best run of that length)
    for j in 1..cardinality(anchors_a) loop
      lo := 1;
      hi := cardinality(tails);
      while lo <= hi loop
        mid := (lo + hi) / 2;
        if anchors_b[tails[mid]] < anchors_b[j] then lo := mid + 1; else hi := mid - 1; end if;
      end loop;
      tails[lo] := j;
      links[j] := case when lo > 1 then tails[lo - 1] end;
    end loop;
    -- follow the links back from the end of the longest run (collected last first)
    i := tails[cardinality(tails)];
    while i is not null loop
      chain[cardinality(chain) + 1] := i;
      i := links[i];
    end loop;
    chain := array(select u.e from unnest(chain) with ordinality u (e, o) order by u.o desc);
    -- between consecutive anchors (and the ends): trim, then Myers or one replacement
    pa := 0;
    pb := 0;
    for j in 1..cardinality(chain) + 1 loop
      if j <= cardinality(chain) then
        ca := anchors_a[chain[j]] - 1;
        cb := anchors_b[chain[j]] - 1;
      else
        ca := n;
        cb := m;
      end if;
      g_pre := 0;
      while pa + g_pre < ca and pb + g_pre < cb and ka[pa + g_pre + 1] = kb[pb + g_pre + 1] loop
        g_pre := g_pre + 1;
      end loop;
      g_suf := 0;
      while g_suf < ca - pa - g_pre and g_suf < cb - pb - g_pre and ka[ca - g_suf] = kb[cb - g_suf] loop
        g_suf := g_suf + 1;
      end loop;
      if ca - pa - g_pre - g_suf > 0 or cb - pb - g_pre - g_suf > 0 then
        -- at most 20,000 steps a stretch and about 1,000,000 in all; past that, one replacement
        gap := case when gap_work < 1000000 then
          private.diff_myers(ka[pa + g_pre + 1:ca - g_suf], kb[pb + g_pre + 1:cb - g_suf], 20000) end;
        gap_work := gap_work + least(20000, (ca - pa + cb - pb)::bigint * (ca - pa + cb - pb));
        gap := coalesce(gap, array[0, ca - pa - g_pre - g_suf, 0, cb - pb - g_pre - g_suf]);
        for q in 0..cardinality(gap) / 4 - 1 loop
          nblk := nblk + 1;
          blk_a_lo[nblk] := gap[4 * q + 1] + pa + g_pre;
          blk_a_hi[nblk] := gap[4 * q + 2] + pa + g_pre;
          blk_b_lo[nblk] := gap[4 * q + 3] + pb + g_pre;
          blk_b_hi[nblk] := gap[4 * q + 4] + pb + g_pre;
        end loop;
      end if;
      pa := ca + 1;
      pb := cb + 1;
    end loop;
  end if;

  -- blocks to absolute line numbers (0-based half-open): shift by the common prefix
  for q in 1..nblk loop
    blk_a_lo[q] := blk_a_lo[q] + pre;
    blk_a_hi[q] := blk_a_hi[q] + pre;
    blk_b_lo[q] := blk_b_lo[q] + pre;
    blk_b_hi[q] := blk_b_hi[q] + pre;
    removed := removed + blk_a_hi[q] - blk_a_lo[q];
    added := added + blk_b_hi[q] - blk_b_lo[q];
  end loop;

  -- hunks: blocks separated by at most 2 × context equal lines share a hunk
  h_first := 1;
  while h_first <= nblk loop
    h_last := h_first;
    while h_last < nblk and blk_a_lo[h_last + 1] - blk_a_hi[h_last] <= 2 * context loop
      h_last := h_last + 1;
    end loop;
    h_a_lo := greatest(blk_a_lo[h_first] - context, 0);
    h_b_lo := blk_b_lo[h_first] - (blk_a_lo[h_first] - h_a_lo);
    h_a_hi := least(blk_a_hi[h_last] + context, na);
    h_b_hi := blk_b_hi[h_last] + (h_a_hi - blk_a_hi[h_last]);
    lines := '{}';
    nl := 0;
    pos := h_a_lo;
    for q in h_first..h_last + 1 loop
      -- context up to the block (or to the end of the hunk after the last block)
      for j in pos + 1..case when q <= h_last then blk_a_lo[q] else h_a_hi end loop
        nl := nl + 1;
        lines[nl] := ' ' || la[j];
        if j = na and a_noeol then
          nl := nl + 1;
          lines[nl] := '\ No newline at end of file';
        end if;
      end loop;
      exit when q > h_last;
      for j in blk_a_lo[q] + 1..blk_a_hi[q] loop
        nl := nl + 1;
        lines[nl] := '-' || la[j];
        if j = na and a_noeol then
          nl := nl + 1;
          lines[nl] := '\ No newline at end of file';
        end if;
      end loop;
      for j in blk_b_lo[q] + 1..blk_b_hi[q] loop
        nl := nl + 1;
        lines[nl] := '+' || lb[j];
        if j = nb and b_noeol then
          nl := nl + 1;
          lines[nl] := '\ No newline at end of file';
        end if;
      end loop;
      pos := blk_a_hi[q];
    end loop;
    header := pg_catalog.format('@@ -%s,%s +%s,%s @@',
      case when h_a_hi > h_a_lo then h_a_lo + 1 else h_a_lo end, h_a_hi - h_a_lo,
      case when h_b_hi > h_b_lo then h_b_lo + 1 else h_b_lo end, h_b_hi - h_b_lo);
    hunk_list[cardinality(hunk_list) + 1] := jsonb_build_object(
      'from_start', case when h_a_hi > h_a_lo then h_a_lo + 1 else h_a_lo end, 'from_count', h_a_hi - h_a_lo,
      'to_start', case when h_b_hi > h_b_lo then h_b_lo + 1 else h_b_lo end, 'to_count', h_b_hi - h_b_lo,
      'header', header, 'lines', to_jsonb(lines));
    h_first := h_last + 1;
  end loop;

  return jsonb_build_object('hunks', to_jsonb(hunk_list), 'lines_added', added, 'lines_removed', removed,
    'approximate', approximate,
    'unified', (
      select coalesce(string_agg(h ->> 'header' || e'\n' || (
        select string_agg(l, e'\n' order by o) from jsonb_array_elements_text(h -> 'lines') with ordinality t (l, o)
      ) || e'\n', '' order by ho), '')
      from unnest(hunk_list) with ordinality u (h, ho)));
end
$$;
comment on function private.diff_text(text, text) is
  'Line diff as unified-diff hunks: {hunks: [{from_start, from_count, to_start, to_count, header, lines}], lines_added, '
  'lines_removed, approximate, unified}. Myers within 200,000 steps after trimming the common prefix and suffix; past '
  'that, anchored on lines unique to both texts, and approximate is true.';
-- (the service role too, with diff_myers, diff_json and json_leaves: diff_prompt_versions and
-- compare_prompt_versions compare prompt templates and params, 500_prompts.sql)
grant execute on function private.diff_text(text, text) to authenticated, service_role;

create function public.diff_artifact_versions(artifact_id uuid, from_version integer, to_version integer)
returns jsonb
language plpgsql
stable
security invoker
set search_path = ''
as $$
declare
  artifact public.artifacts;
  old_v public.artifact_versions;
  new_v public.artifact_versions;
begin
  if diff_artifact_versions.from_version is null or diff_artifact_versions.to_version is null then
    perform private.invalid_parameter('from_version and to_version are required');
  end if;
  select a.* into artifact from public.artifacts a where a.id = diff_artifact_versions.artifact_id;
  if not found then
    perform private.not_found('artifact');
  end if;
  select v.* into old_v from public.artifact_versions v
  where v.artifact_id = artifact.id and v.version_number = diff_artifact_versions.from_version;
  if not found then
    raise exception '%', pg_catalog.format('version %s not found', diff_artifact_versions.from_version)
      using errcode = 'PT404', hint = pg_catalog.format('The artifact has versions 1 to %s.', artifact.current_version);
  end if;
  select v.* into new_v from public.artifact_versions v
  where v.artifact_id = artifact.id and v.version_number = diff_artifact_versions.to_version;
  if not found then
    raise exception '%', pg_catalog.format('version %s not found', diff_artifact_versions.to_version)
      using errcode = 'PT404', hint = pg_catalog.format('The artifact has versions 1 to %s.', artifact.current_version);
  end if;

  return jsonb_build_object(
    'artifact_id', artifact.id,
    'type', artifact.type,
    'from_version', old_v.version_number,
    'to_version', new_v.version_number,
    'from_version_id', old_v.id,
    'to_version_id', new_v.id,
    'identical', old_v.content_hash = new_v.content_hash,
    'content', case when old_v.content is distinct from new_v.content
      then private.diff_text(old_v.content, new_v.content) end,
    'content_json', case when artifact.type <> 'bom' and old_v.content_json is distinct from new_v.content_json
      then private.diff_json(old_v.content_json, new_v.content_json) end,
    'bom', case when artifact.type = 'bom' and old_v.content_json is distinct from new_v.content_json
      then private.diff_bom(old_v.content_json, new_v.content_json) end,
    'file_path', case when old_v.file_path is distinct from new_v.file_path
      then jsonb_build_object('from', old_v.file_path, 'to', new_v.file_path) end
  );
end
$$;
grant execute on function public.diff_artifact_versions(uuid, integer, integer) to authenticated;
comment on function public.diff_artifact_versions(uuid, integer, integer) is
  'Compares two versions of an artifact (either order), computed in the database. Returns {artifact_id, type, '
  'from_version, to_version, from_version_id, to_version_id, identical (same content_hash), content, content_json, '
  'bom, file_path}; a section is null when that part of the content did not change. content (text): {hunks: '
  '[{from_start, from_count, to_start, to_count, header ("@@ -a,b +c,d @@"), lines (" context", "-old", "+new")}], '
  'lines_added, lines_removed, approximate, unified (the hunks as one unified-diff text)}; Myers diff after trimming '
  'the common prefix and suffix, within 200,000 steps; past that, anchored on lines unique to both texts (each stretch '
  'between anchors within 20,000 steps, else one replacement), and approximate is true. content_json (types other than bom): {added: [{path, value}], removed: [{path, value}], '
  'changed: [{path, old, new}]} over leaf paths such as content_json.steps[3].voltage (arrays compared by position). '
  'bom: components matched by part_number (case-insensitive) where both have one, else by name (case-insensitive): '
  '{added: [{position, name, part_number, quantity, unit_price, currency, cost, component}], removed: [same], '
  'changed: [{name, part_number, old_position, new_position, changes: [{field, old, new}], old_cost, old_currency, '
  'new_cost, new_currency, cost_delta}], unchanged_count, totals: [{currency, old_total, new_total, delta}], '
  'cost_delta (null when several currencies), other (diff of the keys besides components)}; cost = quantity × '
  'unit_price. file_path: {from, to}. Errors: 22023 (400); PT404 (404) artifact or version not found or not '
  'readable; anon is denied (401).';
