  after bom
second
