"""The least work a cache hit, a cache miss and a rating write can do in this design, served
through the shipped settings and middleware: the lower bound of their SPEC 11 ratios.

Each view does less than its request must, with the cheapest client calls, and nothing else
(no authentication, no negotiation, no serializer, no throttle):

- hit: one Redis GET of a stored response body. Every hit reads its entry from Redis (SPEC 7),
  and a bearer token's revocation (SPEC 2) needs shared state too; the shipped hit reads both
  in one round trip.
- miss: the lookup that finds nothing (a Redis GET), then one SELECT of the movie's row. A real
  miss also stores what it read, and reads the genres and the score distribution.
- write: one UPDATE of a movie's row, its own durable transaction, then the invalidation, one
  Redis SET, before the answer (SPEC 7: a read after the write has returned must see it). A
  rating write must also authenticate and count its attempt against the throttle (SPEC 8).

`make bench` serves them with bin/serve beside the shipped server (settings: bench/bounds/settings.py)
and reports each against the shipped floor of the same run (bench/analysis.md).
"""
