"""回头看: the finished tickets whose last callback said unsolved or unsatisfied, their 审核研判 and 再办理."""
