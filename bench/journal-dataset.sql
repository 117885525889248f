-- Helpers of bench/journal.ts: a throwaway schema that builds the journal data set with set-based
-- SQL (no RPC calls; triggers are bypassed with session_replication_role = replica, so the rows
-- carry what the triggers would have written) and times statements inside the database.
create schema bench;
grant usage on schema bench to authenticated;

-- 2,000 entry texts of 20 to 120 words from a journaling vocabulary of about 1,600 words (made-up
-- words with 160 real ones spread among them), drawn with a skew, as words are in real notes.
create table bench.words (rank integer primary key, word text not null);
insert into bench.words (rank, word)
select k, case
  when k % 10 = 0 and k / 10 <= array_length(d.words, 1) then d.words[k / 10]
  else s.syllables[1 + k % 16] || s.syllables[1 + (k / 16) % 16] || s.syllables[1 + (k / 256) % 16]
end
from generate_series(1, 1600) k,
lateral (select array['ka', 'lo', 'mi', 'ne', 'ru', 'ta', 'vo', 'shi', 'pa', 'de', 'gu', 'zo', 'fe', 'bri', 'tol', 'mar']
  as syllables) s,
lateral (select array[
  'today', 'slept', 'morning', 'coffee', 'run', 'walk', 'work', 'meeting', 'call', 'friend', 'family', 'dinner', 'lunch',
  'breakfast', 'tired', 'happy', 'anxious', 'calm', 'focus', 'project', 'deadline', 'gym', 'yoga', 'read', 'book',
  'write', 'idea', 'plan', 'goal', 'habit', 'weather', 'rain', 'sun', 'park', 'city', 'train', 'bus', 'doctor',
  'dentist', 'email', 'call', 'mom', 'dad', 'sister', 'brother', 'kids', 'school', 'garden', 'cook', 'recipe',
  'shopping', 'budget', 'money', 'travel', 'flight', 'hotel', 'beach', 'mountain', 'hike', 'bike', 'swim', 'music',
  'concert', 'movie', 'series', 'podcast', 'learn', 'course', 'code', 'bug', 'fix', 'release', 'team', 'manager',
  'review', 'feedback', 'stress', 'rest', 'nap', 'dream', 'night', 'evening', 'weekend', 'holiday', 'birthday',
  'party', 'gift', 'letter', 'journal', 'gratitude', 'grateful', 'proud', 'worried', 'excited', 'sad', 'angry',
  'relaxed', 'energy', 'headache', 'knee', 'back', 'sore', 'stretch', 'water', 'tea', 'wine', 'sugar', 'vegetables',
  'fruit', 'salad', 'pasta', 'rice', 'soup', 'bread', 'cheese', 'chocolate', 'cake', 'walked', 'talked', 'thought',
  'decided', 'finished', 'started', 'forgot', 'remembered', 'noticed', 'felt', 'saw', 'met', 'visited', 'called',
  'cleaned', 'fixed', 'bought', 'sold', 'paid', 'saved', 'spent', 'laughed', 'cried', 'slowly', 'quickly', 'again',
  'finally', 'almost', 'never', 'always', 'often', 'maybe', 'really', 'very', 'quite', 'enough'
] as words) d;

create table bench.texts (text_no integer primary key, content text not null);
insert into bench.texts (text_no, content)
select t.n, (
  select string_agg(w.word, ' ' order by x.k)
  from (select k, 1 + floor(power(random(), 2.0) * 1600)::int as r from generate_series(1, 20 + (t.n * 13) % 101) k) x
  join bench.words w on w.rank = least(x.r, 1600)
)
from generate_series(0, 1999) t(n);

create function bench.user_id(i integer) returns uuid language sql immutable
  as $$ select ('e0000000-0000-4000-8000-' || lpad(to_hex(i), 12, '0'))::uuid $$;
create function bench.entry_id(user_no integer, k integer) returns uuid language sql immutable
  as $$ select md5('entry:' || user_no || ':' || k)::uuid $$;
create function bench.entity_id(user_no integer, k integer) returns uuid language sql immutable
  as $$ select md5('entity:' || user_no || ':' || k)::uuid $$;

-- Each user's 30 entities: 12 tags, 10 people, 8 places ("tag 3", "person 7", "place 2"…).
create function bench.insert_entities(from_user integer, to_user integer) returns void language sql as $$
  insert into public.entities (id, user_id, type, key, display_name, created_at, updated_at)
  select bench.entity_id(u, k), bench.user_id(u), x.type, x.type || ' ' || x.n, initcap(x.type) || ' ' || x.n,
    now() - interval '3 years', now() - interval '3 years'
  from generate_series(from_user, to_user) u
  cross join lateral (
    select k, case when k < 12 then 'tag' when k < 22 then 'person' else 'place' end as type,
      case when k < 12 then k when k < 22 then k - 12 else k - 22 end as n
    from generate_series(0, 29) k
  ) x
$$;

-- Entries k = first..last of a user with `total` entries spread over the last three years (newest
-- last): mixed facets, half of them with a desktop client id, each linked to one or two entities.
create function bench.insert_entries(user_no integer, total integer, first_k integer, last_k integer) returns void
language sql as $$
  insert into public.entries (id, user_id, client_id, source_app, facets, title, body_markdown, occurred_at, starts_at,
    ends_at, status, frontmatter, created_at, updated_at)
  select bench.entry_id(user_no, k), bench.user_id(user_no),
    case when k % 2 = 0 then 'desk-' || k end, case when k % 2 = 0 then 'desktop' end,
    (array['{note}', '{note,journal}', '{task}', '{task,event}', '{event}', '{journal}', '{note}'])[1 + k % 7]::text[],
    'Entry ' || k, t.content,
    o.at, case when k % 7 in (3, 4) then o.at end, case when k % 7 in (3, 4) then o.at + interval '1 hour' end,
    case when k % 7 in (2, 3) then (array['todo', 'done'])[1 + k % 2] end, '{}', o.at, o.at
  from generate_series(first_k, last_k) k
  cross join lateral (select now() - interval '1095 days' + (k::float8 / total) * interval '1095 days' as at) o
  join bench.texts t on t.text_no = (k * 7919 + user_no) % 2000;
  insert into public.entry_entities (entry_id, entity_id, user_id, created_at)
  select bench.entry_id(user_no, k), bench.entity_id(user_no, e), bench.user_id(user_no), now()
  from generate_series(first_k, last_k) k
  cross join lateral (select distinct e from unnest(array[k % 30, (k * 7) % 30]) e) l;
$$;

-- Three years of habits and trackers for a user: a daily habit, a Monday/Wednesday/Friday one and a
-- three-times-a-week one, logged on about 85% of days; a weight logged daily and a mood twice a day.
create function bench.insert_habits_and_trackers(user_no integer) returns void language sql as $$
  insert into public.habit_definitions (id, user_id, name, schedule, target, created_at, updated_at)
  values (md5('habit:' || user_no || ':1')::uuid, bench.user_id(user_no), 'Meditate', '{"type": "daily"}', 1,
      now() - interval '1095 days', now() - interval '1095 days'),
    (md5('habit:' || user_no || ':2')::uuid, bench.user_id(user_no), 'Gym', '{"type": "weekdays", "days": [1, 3, 5]}', 1,
      now() - interval '1095 days', now() - interval '1095 days'),
    (md5('habit:' || user_no || ':3')::uuid, bench.user_id(user_no), 'Swim', '{"type": "times_per_week", "times": 3}', 1,
      now() - interval '1095 days', now() - interval '1095 days');
  insert into public.habit_instances (user_id, habit_id, local_date, value, created_at, updated_at)
  select bench.user_id(user_no), md5('habit:' || user_no || ':' || h)::uuid, current_date - d, 1, now(), now()
  from generate_series(1, 3) h cross join generate_series(0, 1094) d
  where (hashtext(user_no || ':' || h || ':' || d) & 1023) < 870;
  insert into public.tracker_definitions (id, user_id, name, unit, kind, created_at, updated_at)
  values (md5('tracker:' || user_no || ':1')::uuid, bench.user_id(user_no), 'Weight', 'kg', 'numeric', now(), now()),
    (md5('tracker:' || user_no || ':2')::uuid, bench.user_id(user_no), 'Mood', null, 'scale', now(), now());
  insert into public.tracker_logs (user_id, tracker_id, value, recorded_at, created_at, updated_at)
  select bench.user_id(user_no), md5('tracker:' || user_no || ':1')::uuid, 70 + (hashtext(user_no || ':' || d) % 300) / 100.0,
    now() - d * interval '1 day', now(), now()
  from generate_series(0, 1094) d;
  insert into public.tracker_logs (user_id, tracker_id, value, recorded_at, created_at, updated_at)
  select bench.user_id(user_no), md5('tracker:' || user_no || ':2')::uuid, 1 + abs(hashtext(user_no || ':' || d || ':' || s)) % 10,
    now() - d * interval '1 day' - s * interval '9 hours', now(), now()
  from generate_series(0, 1094) d cross join generate_series(0, 1) s;
$$;

-- The baseline of upsert_entry: the same columns as plain types, no index, constraint, trigger or policy.
create table bench.plain_entries (id uuid, user_id uuid, client_id text, source_app text, facets text[], title text,
  body_markdown text, occurred_at timestamptz, starts_at timestamptz, ends_at timestamptz, due_at timestamptz, status text,
  frontmatter jsonb, created_at timestamptz default now(), updated_at timestamptz default now(), deleted_at timestamptz);
grant insert on bench.plain_entries to authenticated;
