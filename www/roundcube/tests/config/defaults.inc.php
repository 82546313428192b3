<?php
// The least configuration Roundcube's framework asks for when plugin_test.php uses its classes.
$config = [];
$config['log_driver'] = 'stdout';
$config['log_dir'] = sys_get_temp_dir();
$config['temp_dir'] = sys_get_temp_dir();
$config['drafts_mbox'] = 'Drafts';
$config['junk_mbox'] = 'Junk';
$config['sent_mbox'] = 'Sent';
$config['trash_mbox'] = 'Trash';
