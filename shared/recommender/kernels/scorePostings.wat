(module
  ;; Grown by the caller to fit the postings, the profile and the scores; never shrunk.
  (memory (export "memory") 1)
  ;; Content scores of every item against a sparse profile, through the inverted index:
  ;;   out[i] = sum over profile terms t of weight_t * value(t, i)
  ;; $pointers: u32 per term + 1, into $entries; $entries: (u32 item, f32 value) pairs, so one
  ;; posting is one 8-byte read; $terms / $weights: the profile's $count terms and weights.
  ;; Every item of $n starts at 0 (the items no profile term reaches keep it).
  (func (export "scorePostings")
    (param $pointers i32) (param $entries i32) (param $terms i32) (param $weights i32) (param $count i32)
    (param $out i32) (param $n i32)
    (local $i i32) (local $end i32) (local $t i32) (local $w f32) (local $p i32) (local $pEnd i32) (local $at i32)
    ;; Zero the scores, four at a time, then the rest.
    (local.set $end (i32.add (local.get $out) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $i (local.get $out))
    (block $zeroDone4
      (loop $zero4
        (br_if $zeroDone4 (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $end)))
        (v128.store (local.get $i) (v128.const i32x4 0 0 0 0))
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $zero4)))
    (block $zeroDone
      (loop $zero1
        (br_if $zeroDone (i32.ge_u (local.get $i) (local.get $end)))
        (f32.store (local.get $i) (f32.const 0))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $zero1)))
    ;; Scatter each term's postings.
    (local.set $i (i32.const 0))
    (block $termsDone
      (loop $eachTerm
        (br_if $termsDone (i32.ge_u (local.get $i) (local.get $count)))
        (local.set $t (i32.load (i32.add (local.get $terms) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $w (f32.load (i32.add (local.get $weights) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $p (i32.add (local.get $entries)
          (i32.shl (i32.load (i32.add (local.get $pointers) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 3))))
        (local.set $pEnd (i32.add (local.get $entries)
          (i32.shl (i32.load offset=4 (i32.add (local.get $pointers) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 3))))
        (block $postingsDone
          (loop $eachPosting
            (br_if $postingsDone (i32.ge_u (local.get $p) (local.get $pEnd)))
            (local.set $at (i32.add (local.get $out) (i32.shl (i32.load (local.get $p)) (i32.const 2))))
            (f32.store (local.get $at)
              (f32.add (f32.load (local.get $at)) (f32.mul (local.get $w) (f32.load offset=4 (local.get $p)))))
            (local.set $p (i32.add (local.get $p) (i32.const 8)))
            (br $eachPosting)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $eachTerm)))))
