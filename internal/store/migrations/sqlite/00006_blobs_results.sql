-- The uploaded files and the signed results, kept in the read model so
-- that every worker and API node of a cluster reads them (--blobs
-- database) without a shared folder. Like the audit log, neither is
-- rebuilt from projections: they are the only copy. SQLite flavour.
--
--   blobs        one row per stored content (blobstore.DB over
--                Store.BlobAdd …), by its SHA-256; pending counts the
--                commits that created or found the blob and could still
--                undo (Store.BlobRelease), kept says that one of them
--                settled: the blob then stays for good;
--   blob_chunks  the content of each blob in pieces (Store.BlobChunkSize
--                bytes, the last one shorter), keyed by the offset of
--                their first byte, so that neither writing nor reading a
--                large file holds it whole in memory;
--   results      each signed result (signing.ResultDB over
--                Store.ResultAdd): the document <code>.json and its
--                detached signature <code>.sig.json, as a folder of
--                results keeps them; written once, never replaced.

-- +goose Up
CREATE TABLE blobs (
    sha256     text PRIMARY KEY,               -- 64 lowercase hex digits
    size       integer NOT NULL,
    pending    integer NOT NULL DEFAULT 0,     -- holders that could still undo
    kept       integer NOT NULL DEFAULT 0, -- 1: a holder settled: never removed
    created_at text NOT NULL
);

CREATE TABLE blob_chunks (
    sha256 text NOT NULL,
    pos    integer NOT NULL, -- offset of the piece's first byte in the blob
    data   blob NOT NULL,
    PRIMARY KEY (sha256, pos)
);

CREATE TABLE results (
    code       text PRIMARY KEY, -- <dossier code>-KQ<n>
    document   blob NOT NULL,
    signature  blob NOT NULL,
    created_at text NOT NULL
);

-- +goose Down
DROP TABLE results;
DROP TABLE blob_chunks;
DROP TABLE blobs;
